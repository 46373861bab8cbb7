/**
 * The part of `@rxq/console`'s broker admin layer (`openAdmin(url, queue) → QueueAdmin`) that
 * the dashboard uses, written structurally so that any adapter (or a test's own) fits.
 */

/** A queue's figures, each the broker's own count or null where the broker cannot know it. */
export interface AdminQueueStats {
  readonly depth: number | null;
  readonly inFlight: number | null;
  readonly delayed: number | null;
  readonly deadLetters: number | null;
  readonly consumers: number | null;
  readonly lag: readonly { readonly partition: number; readonly lag: number }[] | null;
}

/** A dead letter as the admin layer lists it. */
export interface AdminDeadLetter {
  readonly id: string;
  readonly attempt: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly size: number;
  readonly reason: string | null;
  readonly error: { readonly name: string; readonly message: string } | null;
  readonly deadAt: number | null;
  readonly origin: string | null;
}

/** Which dead letters an action takes: all, or these ids. */
export interface AdminFilter {
  readonly limit?: number;
  readonly ids?: readonly string[];
}

/** One queue's admin operations (a subset of `@rxq/console`'s `QueueAdmin`). */
export interface DashboardAdmin {
  readonly broker: string;
  readonly queue: string;
  /** The URL without credentials. */
  readonly target: string;
  readonly capabilities: { readonly redrive: boolean; readonly purge: boolean };
  stats(): Promise<AdminQueueStats>;
  readonly deadLetters: {
    readonly destination: string;
    list(options?: AdminFilter & { readonly body?: boolean }): Promise<readonly AdminDeadLetter[]>;
    redrive(filter?: AdminFilter): Promise<{ readonly moved: number; readonly matched: number }>;
    purge(filter?: AdminFilter): Promise<{ readonly purged: number }>;
  };
  close(): Promise<void>;
}

/** Options the dashboard passes on to `openAdmin` for a queue. */
export interface OpenAdminOptions {
  readonly deadLetter?: string;
  readonly group?: string;
}

/** Opens the admin of one queue: `@rxq/console`'s `openAdmin` by default. */
export type OpenAdmin = (
  url: string,
  queue: string,
  options?: OpenAdminOptions,
) => DashboardAdmin | Promise<DashboardAdmin>;

/** `openAdmin` of `@rxq/console`, loaded when the first queue is opened. */
export async function consoleOpenAdmin(): Promise<OpenAdmin> {
  const { openAdmin } = await import('@rxq/console');
  return openAdmin;
}
