// Runner-neutral: nothing here imports vitest (or any test runner). The contract suite, which
// declares vitest tests, has its own entry: `@rxq/core/testing/contract`.
export type { ContractHarness, ContractSuiteOptions, DeadLetterView } from './harness.js';
export { collectUntil, collectAll } from './collect.js';
export { fakeMessage } from './fakeMessage.js';
export type { FakeMessage, FakeMessageOptions, SettleCall } from './fakeMessage.js';
export { killRounds } from './killRounds.js';
export type { KillRoundsOptions, KillRoundsResult } from './killRounds.js';
export { gracefulStop } from './gracefulStop.js';
export type { GracefulStopOptions, GracefulStopResult } from './gracefulStop.js';
export { until } from './until.js';
export type { UntilOptions } from './until.js';
export { aliveAfterGc } from './aliveAfterGc.js';
export { invalidOption } from './invalidOption.js';
export { cutReceive } from './cutReceive.js';
export type { CutReceiveResult } from './cutReceive.js';
