import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest PostgreSQL server binaries installed (Debian layout). */
function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install -y postgresql)');
}

/**
 * A private PostgreSQL cluster in a temporary directory on its own port, for tests that restart
 * the server (never the shared one). As root it runs as the `postgres` user, which the server
 * requires.
 */
export class PrivateCluster {
  readonly url: string;
  private readonly dir: string;
  private readonly bin = binDir();
  private readonly asUser: string[];

  constructor(readonly port: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'rxq-pg-'));
    const root = process.getuid?.() === 0;
    this.asUser = root ? ['runuser', '-u', 'postgres', '--'] : [];
    if (root) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(this.dir, uid, gid);
    }
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const [cmd, ...rest] = [...this.asUser, join(this.bin, tool), ...args];
    execFileSync(cmd as string, rest, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 });
  }

  private ctl(action: string): void {
    this.run('pg_ctl', this.ctlArgs(action));
  }

  private ctlArgs(action: string): string[] {
    return [
      '-D',
      join(this.dir, 'data'),
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-m',
      'fast',
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      action,
    ];
  }

  start(): void {
    if (!existsSync(join(this.dir, 'data')))
      this.run('initdb', ['-D', join(this.dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    this.ctl('start');
  }

  /** Restarts the server (fast shutdown), without blocking the event loop meanwhile. */
  async restart(): Promise<void> {
    const [cmd, ...rest] = [...this.asUser, join(this.bin, 'pg_ctl'), ...this.ctlArgs('restart')];
    await promisify(execFile)(cmd as string, rest, { timeout: 60_000 });
  }

  /** Stops the server and deletes the directory. */
  destroy(): void {
    try {
      this.ctl('stop');
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
