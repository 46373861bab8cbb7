/**
 * `rxq run` and `rxq dashboard` live in their own packages; the command line loads them only when
 * asked, so `@rxq/console` installs without them.
 */
export const TARGETS = {
  run: { pkg: '@rxq/workers', entry: '@rxq/workers/cli', exportName: 'runCli' },
  dashboard: { pkg: '@rxq/dashboard', entry: '@rxq/dashboard', exportName: 'dashboardCli' },
} as const;

/** Where a forwarded command lives: its package, the module to import, and its entry's name. */
export interface ForwardTarget {
  readonly pkg: string;
  readonly entry: string;
  readonly exportName: string;
}

/** Runs `rxq <command>` through its package's command-line entry; resolves with the exit code. */
export async function forward(
  command: string,
  args: string[],
  { pkg, entry, exportName }: ForwardTarget = TARGETS[command as keyof typeof TARGETS],
): Promise<number> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(entry)) as Record<string, unknown>;
  } catch (error) {
    if (
      typeof error === 'object' &&
      error !== null &&
      'code' in error &&
      (error.code === 'ERR_MODULE_NOT_FOUND' || error.code === 'MODULE_NOT_FOUND') &&
      String((error as { message?: unknown }).message).includes(pkg)
    )
      throw new Error(`rxq ${command} needs ${pkg}: install it beside @rxq/console (npm install ${pkg})`);
    throw error;
  }
  const cli = mod[exportName];
  if (typeof cli !== 'function')
    throw new Error(`${pkg} has no ${exportName}(): install a version of ${pkg} that matches @rxq/console`);
  const code = await (cli as (argv: string[]) => Promise<number | undefined> | number | undefined)(args);
  return typeof code === 'number' ? code : 0;
}
