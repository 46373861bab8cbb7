import type { Logger } from '@rxq/core';
import { logLevel, type logCreator } from 'kafkajs';

/** Fields kafkajs might attach that could carry a secret: never passed on. */
const SECRET = /pass|secret|token|sasl|ssl|key|cert|credential/i;

/**
 * A kafkajs `logCreator` that writes kafkajs' records to an rxq {@link Logger} (pino's shape)
 * instead of kafkajs' default JSON lines on stdout: its ERROR, WARN, INFO and DEBUG become
 * `error`, `warn`, `info` and `debug`, with `{ kafkajs: namespace, ...fields }` and kafkajs'
 * message. Fields whose names suggest a secret are dropped.
 *
 * @example
 * new Kafka({ brokers, logCreator: kafkajsLogCreator(pino()) });
 */
export function kafkajsLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
      const fields: Record<string, unknown> = { kafkajs: namespace };
      for (const [k, v] of Object.entries(extra)) if (!SECRET.test(k)) fields[k] = v;
      const text = typeof message === 'string' ? message : 'kafkajs';
      if (level === logLevel.ERROR) logger.error(fields, text);
      else if (level === logLevel.WARN) logger.warn(fields, text);
      else if (level === logLevel.INFO) logger.info(fields, text);
      else logger.debug(fields, text);
    };
}
