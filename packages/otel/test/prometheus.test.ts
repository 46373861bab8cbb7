import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { until } from '@rxq/core/testing';

/** The value of the sample `name{…}` whose labels include every one of `labels`. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

it('the Prometheus example serves the counts of its run over HTTP, and ends on SIGTERM', async () => {
  const script = fileURLToPath(new URL('../examples/prometheus.mjs', import.meta.url));
  const child = spawn(process.execPath, [script], { env: { ...process.env, PORT: '0', MESSAGES: '50' } });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await until(() => out.includes('settled 50') && out.includes('metrics on '));
  const url = /metrics on (http\S+)/.exec(out)![1]!;
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const text = await response.text();
  const orders = { messaging_system: 'memory', messaging_destination_name: 'orders' };
  // 50 orders; every tenth (0, 10, 20, 30, 40) fails and is dead-lettered at once.
  expect(sample(text, 'messaging_client_consumed_messages_total', orders)).toBe(50);
  expect(sample(text, 'rxq_messages_acked_total', orders)).toBe(45);
  expect(sample(text, 'rxq_messages_dead_lettered_total', orders)).toBe(5);
  expect(sample(text, 'rxq_messages_in_flight', orders)).toBe(0);
  expect(sample(text, 'messaging_process_duration_count', { ...orders, error_type: 'Error' })).toBe(5);
  const all = text.split('\n').filter((l) => l.startsWith('messaging_process_duration_count'));
  expect(all.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0)).toBe(50);
  expect(text).toContain('le="0.005"'); // the buckets are in seconds
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
});
