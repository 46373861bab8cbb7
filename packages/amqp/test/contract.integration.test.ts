import { contractSuite } from '@rxq/core/testing/contract';
import { contractHarness } from './helpers.js';

contractSuite({ name: 'amqp classic queue', create: () => contractHarness('classic') });
contractSuite({ name: 'amqp quorum queue', create: () => contractHarness('quorum') });
