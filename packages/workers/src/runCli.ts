// `rxq run ./consumer.js --processes 4`: the command-line face of `supervise`.
import type { Logger } from '@rxq/core';
import { parseArgs } from 'node:util';
import { supervise } from './supervise.js';

const USAGE = `Usage: rxq run <module> [options] [-- module args…]

Starts N processes of a consumer module, restarts one that dies (with backoff, giving up after a
limit), prefixes each child's output, and on SIGTERM/SIGINT drains every child before exiting.

Options:
  --processes <n>           child processes (default: the number of CPUs)
  --drain-timeout-ms <ms>   time children have to drain after a stop (default 30000)
  --max-restarts <n>        quick restarts in a row of one child before giving up (default 5)
  --restart-initial-ms <ms> first restart delay, doubling per restart (default 200)
  --restart-max-ms <ms>     longest restart delay (default 10000)
  --stable-ms <ms>          uptime after which a child's restart count starts afresh (default 30000)
  --quiet                   no runner records on stderr (children's output still passes)

Exit codes: 0 drained cleanly; 1 a child kept dying; 2 usage; 3 a child was killed after the
drain timeout; 4 a child exited with an error during the stop.`;

/** One line per record on stderr: `rxq: message {fields}`. */
function lineLogger(quiet: boolean): Logger {
  const write =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (quiet && level !== 'error') return;
      process.stderr.write(`rxq ${level}: ${message} ${JSON.stringify(fields)}\n`);
    };
  return { debug: () => undefined, info: write('info'), warn: write('warn'), error: write('error') };
}

function usage(problem: string): never {
  process.stderr.write(`rxq: ${problem}\n\n${USAGE}\n`);
  process.exit(2);
}

function number(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) usage(`--${option} expects a number ≥ 0, got "${value}"`);
  return n;
}

/**
 * Runs `rxq run <module> [options] [-- module args…]` (argv starts with `run`) and resolves with the
 * exit code once every child has stopped. A usage error prints the usage and exits the process with
 * code 2. `rxq run` of `@rxq/console` and the `rxq-run` bin of this package both come here.
 */
export function runCli(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        processes: { type: 'string' },
        'drain-timeout-ms': { type: 'string' },
        'max-restarts': { type: 'string' },
        'restart-initial-ms': { type: 'string' },
        'restart-max-ms': { type: 'string' },
        'stable-ms': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    usage((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return Promise.resolve(0);
  }
  const [command, module, ...args] = positionals;
  if (command !== 'run') usage(command === undefined ? 'missing command' : `unknown command "${command}"`);
  if (module === undefined) usage('missing the module to run');
  const restart: { -readonly [K in 'initialMs' | 'maxMs' | 'maxRestarts' | 'stableMs']?: number } = {};
  const set = (key: keyof typeof restart, option: string): void => {
    const n = number(values[option as 'processes'], option);
    if (n !== undefined) restart[key] = n;
  };
  set('maxRestarts', 'max-restarts');
  set('initialMs', 'restart-initial-ms');
  set('maxMs', 'restart-max-ms');
  set('stableMs', 'stable-ms');
  const processes = number(values.processes, 'processes');
  const drainTimeoutMs = number(values['drain-timeout-ms'], 'drain-timeout-ms');
  let supervisor;
  try {
    supervisor = supervise({
      module,
      args,
      restart,
      logger: lineLogger(values.quiet === true),
      ...(processes === undefined ? {} : { processes }),
      ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
    });
  } catch (error) {
    usage((error as Error).message);
  }
  return supervisor.done;
}
