import { contractSuite } from '@rxq/core/testing/contract';
import { contractHarness } from '../helpers.js';
import { NODE_URLS } from './cluster.js';

// A quorum queue on the three-node cluster, the connector given every node.
contractSuite({
  name: 'amqp quorum queue on a three-node cluster',
  create: () => contractHarness('quorum', { adminUrl: NODE_URLS[0]!, connection: NODE_URLS }),
});
