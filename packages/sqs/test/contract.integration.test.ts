import { contractSuite } from '@rxq/core/testing/contract';
import { contractHarness } from './helpers.js';

// A standard queue promises no order (SQS delivers best-effort order): the per-key order case runs
// on the FIFO queue.
contractSuite({ name: 'sqs standard queue', ordered: false, create: () => contractHarness(false) });
contractSuite({ name: 'sqs FIFO queue', create: () => contractHarness(true) });
