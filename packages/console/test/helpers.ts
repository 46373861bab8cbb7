import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `rxq` bin. */
export const BIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `rxq args…` as its own process. */
export function start(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): ChildProcess & { result: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.end(options.input ?? '');
  const result = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return Object.assign(child, { result });
}

/** Runs `rxq args…` to its end. */
export function rxq(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<Run> {
  return start(args, options).result;
}

/** Runs `rxq args… --json` and parses its output; fails with stderr when it exits non-zero. */
export async function rxqJson<T = unknown>(
  args: readonly string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<T> {
  const run = await rxq([...args, '--json'], options);
  if (run.code !== 0) throw new Error(`rxq ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** A unique name for one test's queue. */
export function uniqueName(kind: string): string {
  return `rxq-console-${kind}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;
}

/** Asserts an error run: exit 1, one line on stderr, none of `secrets` in it. */
export function oneLineError(run: Run, secrets: readonly string[]): string {
  if (run.code !== 1) throw new Error(`expected exit 1, got ${run.code}: ${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}: ${run.stderr}`);
  for (const s of secrets) if (run.stderr.includes(s)) throw new Error(`stderr holds a secret: ${run.stderr}`);
  return lines[0] as string;
}
