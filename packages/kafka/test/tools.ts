import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@rxq/core';

const script = fileURLToPath(new URL('../../../scripts/kafka.sh', import.meta.url));
const javaSource = fileURLToPath(new URL('../../../scripts/kafka/java/RxqKafkaTool.java', import.meta.url));

/** Runs `scripts/kafka.sh ARGS` (Kafka's own tools) with `env` added, feeding `input` on stdin; resolves with stdout. */
export function kafkaSh(
  args: readonly string[],
  input = '',
  timeoutMs = 90_000,
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`scripts/kafka.sh ${args[0]} exited ${code}: ${err.slice(-2000)}`));
    });
    child.stdin.end(input);
  });
}

/** Kafka's console producer: one record per line of `lines`, with extra producer arguments. */
export function consoleProduce(topic: string, lines: readonly string[], args: readonly string[] = []): Promise<string> {
  return kafkaSh(
    ['run', 'kafka.tools.ConsoleProducer', '--bootstrap-server', '127.0.0.1:9092', '--topic', topic, ...args],
    lines.join('\n') + '\n',
  );
}

/** The Java client program (`scripts/kafka/java/RxqKafkaTool.java`), compiled and run by kafka.sh. */
export function javaTool(args: readonly string[]): Promise<string> {
  return kafkaSh(['java', javaSource, ...args]);
}

/** One record as the Java client reads it back: hex bytes, headers in record order. */
export interface DumpedRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly [string, string | null][];
}

/** The first `n` records of `topic`, read by Kafka's Java consumer. */
export async function javaDump(topic: string, n: number): Promise<DumpedRecord[]> {
  const out = await javaTool(['dump', topic, String(n)]);
  return out
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as DumpedRecord);
}

/** A logger that keeps every record, to assert on what the connector logged. */
export function recordingLogger(): Logger & { records: { level: string; message: string }[] } {
  const records: { level: string; message: string }[] = [];
  const at = (level: string) => (_fields: Record<string, unknown>, message: string) =>
    void records.push({ level, message });
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
