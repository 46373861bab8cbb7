import { InvalidOptionError, type QueueObservable } from '@rxq/core';

/**
 * A source as the metrics and health helpers read it: its name, `metrics`, `status$`, and the
 * `system` its connector declares (`redis`, `rabbitmq`, `kafka`, `nats`, `aws_sqs`, `postgresql`).
 */
export type ObservedSource = Pick<QueueObservable<unknown>, 'name' | 'metrics' | 'status$'> & {
  readonly system?: string | undefined;
};

/** A source with the `messaging.system` its metrics carry. */
export interface SourceEntry {
  readonly source: ObservedSource;
  /**
   * `messaging.system` of this source's metrics. @default the source's own (its connector's), else
   * the helper's `system` option
   */
  readonly system?: string;
}

/** One source, or several (each a source or a {@link SourceEntry}). */
export type Sources = ObservedSource | readonly (ObservedSource | SourceEntry)[];

/**
 * The sources as entries, each checked, with its system: the entry's, else the source's own (told
 * by its connector), else `system`.
 */
export function entriesOf(sources: Sources, system: string): { source: ObservedSource; system: string }[] {
  const list = Array.isArray(sources)
    ? (sources as readonly (ObservedSource | SourceEntry)[])
    : [sources as ObservedSource];
  if (list.length === 0) throw new InvalidOptionError('sources', 'at least one source', sources);
  return list.map((item) => {
    const source = isSource(item) ? item : item.source;
    if (!isSource(source))
      throw new InvalidOptionError('sources', 'sources made by fromQueue (with metrics and status$)', item);
    const own = typeof source.system === 'string' && source.system !== '' ? source.system : undefined;
    const entry = { source, system: (isSource(item) ? undefined : item.system) ?? own ?? system };
    if (!isSource(entry.source))
      throw new InvalidOptionError('sources', 'sources made by fromQueue (with metrics and status$)', item);
    if (typeof entry.system !== 'string' || entry.system === '')
      throw new InvalidOptionError('system', 'a non-empty string', entry.system);
    return entry;
  });
}

function isSource(value: unknown): value is ObservedSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ObservedSource).metrics?.snapshot === 'function' &&
    typeof (value as ObservedSource).status$?.subscribe === 'function'
  );
}
