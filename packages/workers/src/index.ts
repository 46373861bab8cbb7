export { handleInWorkers } from './handleInWorkers.js';
export type { HandleInWorkersOptions } from './handleInWorkers.js';
export { WorkerCrashedError, WorkerInitError, WorkerHandlerError } from './errors.js';
export type { WorkerMessage, WireError } from './wire.js';
export { fixedRate } from './fixedRate.js';
export type { FixedRateOptions, Overrun, Tick } from './fixedRate.js';
export { supervise, EXIT_CODES } from './supervise.js';
export type { SuperviseOptions, RestartOptions, Supervisor, SupervisorEvent } from './supervise.js';
