#!/usr/bin/env node
// `rxq-run ./consumer.js --processes 4` (also `rxq-run run …`, and `rxq run …` of @rxq/console).
import { runCli } from './runCli.js';

const argv = process.argv.slice(2);
const first = argv[0];
const args = first === 'run' || first === undefined || first.startsWith('-') ? argv : ['run', ...argv];
void runCli(args).then((code) => {
  process.exitCode = code;
});
