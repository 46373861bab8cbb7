import { parseArgs } from 'node:util';
import { RxqError } from '@rxq/core';
import { startDashboard } from './startDashboard.js';

const USAGE = `Usage: rxq dashboard [<url> <queue>...] [options]

Serves the rxq dashboard: the queues of <url> (redis://, amqp://, kafka://, postgres://, sqs://,
nats://; credentials from RXQ_USERNAME/RXQ_PASSWORD), those of a config file, and the consumer
processes that serve consumerReporter. Read-only unless a token is set. Stops on SIGINT/SIGTERM.

Options:
  --config <file>      JSON file: { "queues": [{ "url", "queue" }], "consumers": ["http://host:port"] }
  --consumer <address> a consumer process's reporter, http://host:port (repeatable)
  --host <host>        address to listen on (default 127.0.0.1: this machine only)
  --port <port>        port (default 9470; 0 for any free one)
  --token <token>      enables redrive, purge and bodies for whoever gives it (at least 8
                       characters; RXQ_DASHBOARD_TOKEN is read when this is absent, and keeps the
                       token out of the process list)
  --poll-ms <ms>       how often queues and consumers are read (default 2000)
  --history-ms <ms>    how much the plots keep (default 600000)
  -h, --help           this text

Exit codes: 0 stopped by a signal; 2 usage or an invalid option.`;

/** Where the command writes, and what stops it (tests). */
export interface CliIo {
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
  /** Stops the dashboard when aborted. @default SIGINT or SIGTERM */
  readonly signal?: AbortSignal;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `rxq dashboard [<url> <queue>...] [options]` (the arguments after `dashboard`): starts the
 * dashboard, prints its URL, and resolves with the exit code once SIGINT or SIGTERM has closed it.
 * `rxq dashboard` of `@rxq/console` comes here.
 */
export async function dashboardCli(argv: readonly string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? ((line: string) => process.stdout.write(line + '\n'));
  const err = io.stderr ?? ((line: string) => process.stderr.write(line + '\n'));
  const env = io.env ?? process.env;
  const args = argv[0] === 'dashboard' ? argv.slice(1) : [...argv];
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        consumer: { type: 'string', multiple: true },
        host: { type: 'string' },
        port: { type: 'string' },
        token: { type: 'string' },
        'poll-ms': { type: 'string' },
        'history-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    err(`rxq dashboard: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (positionals.length === 1) {
    err(`rxq dashboard: ${positionals[0]} needs at least one queue after it\n\n${USAGE}`);
    return 2;
  }
  const [url, ...queues] = positionals;
  const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
  const token = values.token ?? env.RXQ_DASHBOARD_TOKEN;
  let dashboard;
  try {
    dashboard = await startDashboard({
      ...(url === undefined ? {} : { queues: queues.map((queue) => ({ url, queue })) }),
      ...(values.consumer === undefined ? {} : { consumers: values.consumer }),
      ...(values.config === undefined ? {} : { config: values.config }),
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(values.port === undefined ? {} : { port: num(values.port)! }),
      ...(token === undefined || token === '' ? {} : { token }),
      ...(values['poll-ms'] === undefined ? {} : { pollMs: num(values['poll-ms'])! }),
      ...(values['history-ms'] === undefined ? {} : { historyMs: num(values['history-ms'])! }),
    });
  } catch (error) {
    // InvalidOptionError names the option; a port in use is a system error with its code.
    const message =
      error instanceof RxqError
        ? error.message
        : `${(error as NodeJS.ErrnoException).code ?? 'error'}: ${(error as Error).message}`;
    err(`rxq dashboard: ${message}`);
    return 2;
  }
  out(`rxq dashboard on ${dashboard.url} (${token ? 'actions need the token' : 'read-only'})`);
  await new Promise<void>((resolve) => {
    if (io.signal) {
      if (io.signal.aborted) resolve();
      else io.signal.addEventListener('abort', () => resolve(), { once: true });
      return;
    }
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await dashboard.close();
  return 0;
}
