export {
  RxqError,
  InvalidOptionError,
  HandlerTimeoutError,
  DecodeError,
  ConnectionLostError,
  ConnectionGaveUpError,
  ValidationError,
  SettleError,
  CloseError,
  ShutdownError,
  isRetryable,
  errorInfo,
  RXQ_ERROR_CODES,
} from './errors.js';
export type { RxqErrorCode, RxqErrorOptions, ValidationIssue } from './errors.js';
export { isMessage } from './message.js';
export type { Message, NackOptions, ResendOptions, Settlement } from './message.js';
export type {
  Connector,
  UntypedConnector,
  Session,
  Delivery,
  OpenContext,
  ResendRequest,
  DeadLetterRequest,
} from './connector.js';
export { json, text, bytes, identity, codec } from './codec.js';
export type { Codec, SyncCodec, UntypedCodec, DecodeContext } from './codec.js';
export { schemaCodec } from './schemaCodec.js';
export type { SchemaCodecOptions } from './schemaCodec.js';
export type {
  StandardSchemaV1,
  StandardSchemaProps,
  StandardResult,
  StandardIssue,
  InferOutput,
} from './standardSchema.js';
export { exponential, fixed } from './backoff.js';
export type { Backoff, ExponentialOptions, FixedOptions } from './backoff.js';
export { fromQueue, QueueObservable } from './fromQueue.js';
export type { AnyConnector, FromQueueOptions, ReconnectOptions, SourceStatus, StatusEvent } from './fromQueue.js';
export { SourceMetrics } from './metrics.js';
export type { MetricsSnapshot } from './metrics.js';
export { messagesOf, PartialFailure } from './outcome.js';
export type { Batch, Item, Outcome, Success, Failure } from './outcome.js';
export { handle } from './operators/handle.js';
export type { Handler, HandlerContext, HandleOptions } from './operators/handle.js';
export { chunk } from './operators/chunk.js';
export type { ChunkOptions } from './operators/chunk.js';
export { retryWithResend } from './operators/retryWithResend.js';
export type { RetryWithResendOptions } from './operators/retryWithResend.js';
export { ack } from './operators/ack.js';
export type { AckOptions, SettlementRecord } from './operators/ack.js';
export { shutdownSignal } from './shutdown.js';
export type { ShutdownSignalOptions } from './shutdown.js';
export { consume } from './consume.js';
export type { Consumer, ConsumeOptions } from './consume.js';
export { HEADERS, attemptOf, resendHeaders, deadLetterHeaders } from './headers.js';
export { batcher } from './kit/batcher.js';
export type { Batcher, BatcherOptions, BatchMode } from './kit/batcher.js';
export { Fifo } from './kit/fifo.js';
export { InFlightCount } from './kit/inFlightCount.js';
export { AuthenticationError, AuthorizationError, NotFoundError, UnsupportedError } from './errors.js';
export { silentLogger, childLogger } from './logger.js';
export type { Logger } from './logger.js';
export { stderrLogger, defaultLogger } from './stderrLogger.js';
export type { LogLevel, StderrLoggerOptions } from './stderrLogger.js';
export { rejectUnknownOptions, positiveInt, nonNegative, fn, opt } from './options.js';
export { OffsetTracker } from './kit/offsetTracker.js';
export { setInstrumentation, getInstrumentation, publishHeaders } from './instrumentation.js';
export type { Instrumentation, PoisonReport } from './instrumentation.js';
