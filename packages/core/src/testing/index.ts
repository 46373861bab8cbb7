export { contractSuite } from './contract.js';
export type { ContractHarness, ContractSuiteOptions, DeadLetterView } from './harness.js';
export { collectUntil, collectAll } from './collect.js';
export { fakeMessage } from './fakeMessage.js';
export type { FakeMessage, FakeMessageOptions, SettleCall } from './fakeMessage.js';
