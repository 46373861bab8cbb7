import type { Logger } from '@rxq/core';
import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { makeClient } from './connection.js';
import { kafkajsLogCreator } from './logging.js';

/** A logger that records what it is given. */
function recorder(): Logger & { records: { level: string; fields: Record<string, unknown>; message: string }[] } {
  const records: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      records.push({ level, fields, message });
    };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('kafkajs logs go to the rxq logger', () => {
  it('maps each kafkajs level and keeps the namespace, dropping secret-looking fields', () => {
    const logger = recorder();
    const log = kafkajsLogCreator(logger)(logLevel.DEBUG);
    const entry = (level: logLevel, label: string) => ({
      namespace: 'Connection',
      level,
      label,
      log: { timestamp: 't', logger: 'kafkajs', message: `m-${label}`, broker: 'b:1', password: 'p', sasl: { x: 1 } },
    });
    log(entry(logLevel.ERROR, 'ERROR'));
    log(entry(logLevel.WARN, 'WARN'));
    log(entry(logLevel.INFO, 'INFO'));
    log(entry(logLevel.DEBUG, 'DEBUG'));
    expect(logger.records.map((r) => [r.level, r.message])).toEqual([
      ['error', 'm-ERROR'],
      ['warn', 'm-WARN'],
      ['info', 'm-INFO'],
      ['debug', 'm-DEBUG'],
    ]);
    expect(logger.records[0]?.fields).toEqual({ kafkajs: 'Connection', broker: 'b:1' });
  });

  it('a real kafkajs client rxq makes logs through it, not to stdout, and its SASL secret stays out', async () => {
    const logger = recorder();
    const writes: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array, ...rest: never[]) => {
      writes.push(String(chunk));
      return write(chunk, ...rest);
    };
    let client: Kafka;
    try {
      // Nothing listens on port 1: kafkajs logs its connection errors at ERROR.
      client = makeClient(
        { brokers: ['127.0.0.1:1'], sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } },
        logger,
      );
      const admin = client.admin({ retry: { retries: 0 } });
      await expect(admin.connect()).rejects.toThrow();
    } finally {
      process.stdout.write = write;
    }
    expect(logger.records.some((r) => r.level === 'error')).toBe(true);
    expect(writes.join('')).not.toContain('kafkajs');
    expect(JSON.stringify(logger.records)).not.toContain('hunter2');
  });
});
