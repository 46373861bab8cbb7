// `node --import ./block-vitest.mjs …`: installs hooks.mjs before anything else loads.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
