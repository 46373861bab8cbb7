import { contractSuite } from '@rxq/core/testing/contract';
import { contractHarness } from './helpers.js';

contractSuite({ name: 'nats durable pull consumer', create: () => contractHarness() });
