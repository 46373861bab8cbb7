import { ack, fromQueue, handle, type Message } from '@rxq/core';
import { collectUntil } from '@rxq/core/testing';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { pgQueue, pgTopic } from '../src/index.js';
import { adminPool, freshSchema, PG_URL } from './helpers.js';

const admin = adminPool();
afterAll(() => admin.end());

/** Runs `sql` through psql (a producer rxq did not write); resolves with its exit code and stderr. */
function psql(sql: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('psql', [PG_URL, '-v', 'ON_ERROR_STOP=1', '-q', '-X'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(sql);
  });
}

describe('producers that are not rxq: psql calling the schema’s SQL functions', { timeout: 60_000 }, () => {
  it('topic: 4 concurrent psql producers, one transaction per message, poison among them: offsets gapless, every good message read in offset order, poison dead-lettered', async () => {
    const { schema, drop } = await freshSchema(admin, 'ftopic');
    const PER = 50;
    try {
      const producers = Array.from({ length: 4 }, (_, p) => {
        const lines: string[] = [];
        for (let i = 0; i < PER; i++) {
          const poison = i % 10 === 9;
          const payload = poison ? `'\\xfffe'::bytea` : `convert_to('{"p": ${p}, "i": ${i}}', 'UTF8')`;
          lines.push(`BEGIN; SELECT "${schema}".publish_topic('ft', ${payload}, '{"source": "psql"}'); COMMIT;`);
        }
        return psql(lines.join('\n'));
      });
      for (const r of await Promise.all(producers)) expect(r.code, r.stderr).toBe(0);
      const { rows } = await admin.query(`SELECT "offset" FROM "${schema}".messages ORDER BY 1`);
      expect(rows.map((r: { offset: string }) => Number(r.offset))).toEqual(
        Array.from({ length: 4 * PER }, (_, i) => i + 1),
      );
      const good = 4 * (PER - PER / 10);
      const source = fromQueue<{ p: number; i: number }>(
        pgTopic('ft', { subscriber: 's', start: 'beginning', connection: PG_URL, schema }),
      );
      const offsets: number[] = [];
      const sources = new Set<string | undefined>();
      const records = await collectUntil(
        source.pipe(
          handle((m: Message<{ p: number; i: number }>) => {
            offsets.push(Number(m.offset));
            sources.add(m.headers.source);
          }),
          ack(),
        ),
        (rs) => rs.length === good,
      );
      await source.stop();
      expect(records.every((r) => r.settlement === 'acked')).toBe(true);
      expect(offsets).toHaveLength(good);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
      expect([...sources]).toEqual(['psql']);
      const dead = await admin.query(`SELECT reason, subscriber FROM "${schema}".dead_letters`);
      expect(dead.rows).toHaveLength(4 * (PER / 10));
      expect(
        dead.rows.every((r: { reason: string; subscriber: string }) => r.reason === 'decode' && r.subscriber === 's'),
      ).toBe(true);
    } finally {
      await drop();
    }
  });

  it('queue: psql publishes with a delay and a NOTIFY; the consumer gets it when due', async () => {
    const { schema, drop } = await freshSchema(admin, 'fqueue');
    try {
      const source = fromQueue<{ n: number }>(pgQueue('fq', { connection: PG_URL, schema, pollMs: 5_000 }));
      const ns: number[] = [];
      const got = collectUntil(
        source.pipe(
          handle((m: Message<{ n: number }>) => void ns.push(m.body.n)),
          ack(),
        ),
        (rs) => rs.length === 2,
      );
      const r = await psql(
        `SELECT "${schema}".publish('fq', convert_to('{"n": 1}', 'UTF8'));
         SELECT "${schema}".publish('fq', convert_to('{"n": 2}', 'UTF8'), '{}', 300);`,
      );
      expect(r.code, r.stderr).toBe(0);
      await got;
      expect(ns).toEqual([1, 2]);
    } finally {
      await drop();
    }
  });
});
