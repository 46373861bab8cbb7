/**
 * The logger rxq writes to: pino's shape (an object of fields first, then a message), so a pino,
 * bunyan or winston-with-adapter logger can be passed as it is.
 *
 * rxq never puts a message body or a credential into a log record.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** A logger that adds `bindings` to every record (pino's `child`). Optional. */
  child?(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => undefined;

/** A logger that writes nothing. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

/** `logger.child(bindings)` where the logger has `child`, else a logger that adds the bindings itself. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  if (typeof logger.child === 'function') return logger.child(bindings);
  const wrap =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (fields: Record<string, unknown>, message: string): void =>
      logger[level]({ ...bindings, ...fields }, message);
  return {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (more) => childLogger(logger, { ...bindings, ...more }),
  };
}
