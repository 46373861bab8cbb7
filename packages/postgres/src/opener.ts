import type { OpenContext } from '@rxq/core';
import { randomBytes } from 'node:crypto';
import { checkConnection, DEFAULT_URL, Pools, type PgPool, type PgPoolClient } from './connection.js';
import { translate } from './errors.js';
import type { CommonOptions } from './options.js';
import { migrate } from './schema.js';
import { PgSession } from './session.js';

/** What a connector keeps between its sessions: the pool and whether the schema was migrated. */
export class Opener {
  private readonly pools: Pools;
  private migrated: Promise<void> | undefined;

  constructor(
    options: CommonOptions,
    label: string,
    private readonly schema: string,
    private readonly channel: string,
    private readonly doMigrate: boolean,
    maxConnections: number,
  ) {
    this.pools = new Pools(checkConnection(options.connection ?? DEFAULT_URL), label, maxConnections);
  }

  /** The pool (acquired: the session releases it) and a listening connection. */
  async open(context: OpenContext): Promise<{ pool: PgPool; listener: PgPoolClient; pools: Pools }> {
    const pool = this.pools.acquire(context.logger);
    try {
      if (this.doMigrate) {
        this.migrated ??= migrate({ connection: pool, schema: this.schema });
        await this.migrated.catch((error: unknown) => {
          this.migrated = undefined;
          throw error;
        });
      }
      const listener = await PgSession.listen(pool, this.channel);
      return { pool, listener, pools: this.pools };
    } catch (error) {
      await this.pools.release();
      throw translate(error, 'opening a session');
    }
  }
}

/** A unique id of one session. */
export function sessionId(stem: string): string {
  return `${stem}-${randomBytes(4).toString('hex')}`;
}
