#!/usr/bin/env node
// `rxq`: the command line of rxq (see the README of @rxq/console).
import { CommanderError } from 'commander';
import { program } from './program.js';
import { redactText } from '../admin/common.js';

async function main(): Promise<void> {
  // The AWS SDK warns on stderr under Node < 22; rxq's output keeps errors to one line.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const root = program({ stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env });
  try {
    await root.parseAsync(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; a usage error has already been printed: exit 2.
      process.exit(error.exitCode === 0 ? 0 : 2);
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`rxq: ${redactText(message).split('\n')[0]}\n`);
    process.exit(1);
  }
  // A command that finished leaves nothing to wait for (a broker client's idle timer included).
  if (!['run', 'dashboard'].includes(root.args[0] ?? '')) process.exit(process.exitCode ?? 0);
}

void main();
