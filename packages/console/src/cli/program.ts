import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, Option } from 'commander';
import {
  openAdmin,
  type AdminOptions,
  type DeadLetterFilter,
  type QueueAdmin,
  type RedriveProgress,
} from '../admin/index.js';
import { bar, deadText, messageJson, peekText, showText, statsText } from './format.js';
import { collect, duration, header, integer, positive } from './parse.js';
import { forward } from './forward.js';

/** Where a command writes; the real process's streams in `rxq`. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

interface Common {
  json?: boolean;
  deadLetter?: string;
  group?: string;
}

interface Filters {
  reason?: string[];
  olderThan?: number;
  id?: string[];
  limit?: number;
}

const EXAMPLES = `
Examples:
  rxq stats redis://127.0.0.1:6379 orders
  rxq peek amqp://guest:guest@localhost:5672 orders -n 5 --body
  rxq dlq list kafka://localhost:9092 orders --reason max-attempts
  rxq dlq redrive postgres://localhost/app orders --older-than 1h --rate 200 --dry-run
  RXQ_PASSWORD=… rxq dlq purge redis://app@cache:6379 orders --id 3f9a… --yes

URLs: redis:// rediss:// amqp:// amqps:// kafka://host:port postgres:// sqs://host:port nats://
Credentials: in the URL, or RXQ_USERNAME / RXQ_PASSWORD (never printed).`;

function common(cmd: Command): Command {
  return cmd
    .option('--json', 'print JSON instead of text')
    .option('--dead-letter <name>', "the dead-letter destination, where it is not the connector's default")
    .option('--group <name>', 'the consumer group (Kafka, Redis streams, NATS durable, PostgreSQL subscriber)');
}

function filters(cmd: Command): Command {
  return cmd
    .option('--reason <reason>', 'only dead letters with this reason (repeatable)', collect)
    .option('--older-than <duration>', 'only dead letters older than this (30s, 15m, 2h, 7d)', duration)
    .option('--id <id>', 'only the dead letter with this id (repeatable)', collect)
    .option('-n, --limit <n>', 'at most this many', integer(1));
}

function filterOf(o: Filters): DeadLetterFilter {
  return {
    ...(o.reason ? { reason: o.reason } : {}),
    ...(o.olderThan !== undefined ? { olderThanMs: o.olderThan } : {}),
    ...(o.id ? { ids: o.id } : {}),
    ...(o.limit !== undefined ? { limit: o.limit } : {}),
  };
}

/** Builds the `rxq` program; `done` receives the exit code of commands that finish. */
export function program(io: Io): Command {
  const write = (text: string): void => void io.stdout.write(text);
  const json = (value: unknown): void => write(JSON.stringify(value, null, 2) + '\n');

  const withAdmin = async <R>(
    url: string,
    queue: string,
    o: Common,
    work: (admin: QueueAdmin) => Promise<R>,
  ): Promise<R> => {
    const options: AdminOptions = {
      env: io.env,
      ...(o.deadLetter ? { deadLetter: o.deadLetter } : {}),
      ...(o.group ? { group: o.group } : {}),
    };
    const admin = await openAdmin(url, queue, options);
    try {
      return await work(admin);
    } finally {
      await admin.close();
    }
  };

  const root = new Command('rxq')
    .description('Peek, publish, count and redrive dead letters on the queues rxq consumes.')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeErr: (text) => void io.stderr.write(text),
      writeOut: (text) => void io.stdout.write(text),
    });

  common(root.command('peek').argument('<url>').argument('<queue>'))
    .description('show the first messages of a queue without consuming them')
    .option('-n, --count <n>', 'how many', integer(0), 10)
    .option('--body', 'show the bodies too (never shown otherwise)')
    .action(async (url: string, queue: string, o: Common & { count: number; body?: boolean }) => {
      const messages = await withAdmin(url, queue, o, (a) => a.peek(o.count, { body: o.body === true }));
      if (o.json) json(messages.map(messageJson));
      else write(peekText(messages));
    });

  common(root.command('publish').argument('<url>').argument('<queue>').argument('<file>', 'a file, or - for stdin'))
    .description('publish one message per line of a file or stdin (empty lines are skipped)')
    .option('-H, --header <name=value>', 'a header on every message (repeatable)', header)
    .action(async (url: string, queue: string, file: string, o: Common & { header?: Record<string, string> }) => {
      const input = file === '-' ? io.stdin : createReadStream(file);
      const published = await withAdmin(url, queue, o, async (a) => {
        let n = 0;
        let batch: string[] = [];
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          n += await a.publish(batch, o.header ? { headers: o.header } : {});
          batch = [];
        };
        for await (const line of createInterface({ input, crlfDelay: Infinity })) {
          if (line.length === 0) continue;
          batch.push(line);
          if (batch.length >= 1000) await flush();
        }
        await flush();
        return n;
      });
      if (o.json) json({ published });
      else write(`published ${published} message(s) to ${queue}\n`);
    });

  common(root.command('stats').argument('<url>').argument('<queue>'))
    .description('depth, in flight, delayed, dead letters, consumers and lag (Kafka, per partition)')
    .option('-w, --watch', 'refresh until interrupted')
    .option('--interval <duration>', 'refresh interval with --watch', duration, 2000)
    .action(async (url: string, queue: string, o: Common & { watch?: boolean; interval: number }) => {
      await withAdmin(url, queue, o, async (a) => {
        for (;;) {
          const s = await a.stats();
          if (o.json) write(JSON.stringify({ at: new Date().toISOString(), ...s }) + '\n');
          else
            write(
              (o.watch && (io.stdout as { isTTY?: boolean }).isTTY ? '\u001b[2J\u001b[H' : '') +
                statsText(queue, s) +
                (o.watch ? '\n' : ''),
            );
          if (!o.watch) return;
          await new Promise((resolve) => setTimeout(resolve, o.interval));
        }
      });
    });

  const dlq = root.command('dlq').description('dead letters: list, show, redrive, purge');

  filters(common(dlq.command('list').argument('<url>').argument('<queue>')))
    .description('list dead letters with their reason and error, oldest first')
    .option('--body', 'include the bodies')
    .action(async (url: string, queue: string, o: Common & Filters & { body?: boolean }) => {
      const letters = await withAdmin(url, queue, o, (a) =>
        a.deadLetters.list({ ...filterOf(o), body: o.body === true }),
      );
      if (o.json) json(letters.map(messageJson));
      else write(deadText(letters));
    });

  common(dlq.command('show').argument('<url>').argument('<queue>').argument('<id>'))
    .description('one dead letter with its headers and body')
    .action(async (url: string, queue: string, id: string, o: Common) => {
      const [letter] = await withAdmin(url, queue, o, (a) => a.deadLetters.list({ ids: [id], limit: 1, body: true }));
      if (!letter) throw new Error(`no dead letter with id ${id} in ${queue}`);
      if (o.json) json(messageJson(letter));
      else write(showText(letter));
    });

  filters(common(dlq.command('redrive').argument('<url>').argument('<queue>')))
    .description('move dead letters back to the queue (at-least-once: removed only once the copy is confirmed)')
    .option('--rate <n>', 'at most n messages per second', positive)
    .option('--dry-run', 'count what would move, move nothing')
    .action(async (url: string, queue: string, o: Common & Filters & { rate?: number; dryRun?: boolean }) => {
      const tty = io.stderr.isTTY === true && !o.json;
      const started = Date.now();
      const onProgress = (p: RedriveProgress): void => {
        if (!tty) return;
        const done = o.dryRun ? p.matched : p.moved;
        io.stderr.write(
          `\r${bar(done, o.limit === undefined ? p.total : Math.min(o.limit, p.total ?? o.limit), done / Math.max(0.001, (Date.now() - started) / 1000))}`,
        );
      };
      const result = await withAdmin(url, queue, o, (a) =>
        a.deadLetters.redrive(filterOf(o), {
          ...(o.rate ? { rate: o.rate } : {}),
          dryRun: o.dryRun === true,
          onProgress,
        }),
      );
      if (tty) io.stderr.write('\n');
      if (o.json) json(result);
      else if (result.dryRun) write(`dry run: ${result.matched} dead letter(s) would be redriven to ${queue}\n`);
      else write(`redrove ${result.moved} dead letter(s) to ${queue}\n`);
    });

  filters(common(dlq.command('purge').argument('<url>').argument('<queue>')))
    .description('delete dead letters (all, or those the filters select)')
    .option('-y, --yes', 'really delete (required)')
    .action(async (url: string, queue: string, o: Common & Filters & { yes?: boolean }) => {
      if (!o.yes) throw new Error('purge deletes dead letters for good: add --yes to confirm');
      const result = await withAdmin(url, queue, o, (a) => a.deadLetters.purge(filterOf(o)));
      if (o.json) json(result);
      else write(`purged ${result.purged} dead letter(s) of ${queue}\n`);
    });

  root
    .command('run')
    .description('run a consumer module in N supervised processes (from @rxq/workers; rxq run --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await forward('run', ['run', ...args]);
    });

  root
    .command('dashboard')
    .description('serve the web dashboard (from @rxq/dashboard; rxq dashboard --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await forward('dashboard', args);
    });

  root.addOption(new Option('--no-color').hideHelp());
  return root;
}
