import type { DeadLetter, PeekedMessage, QueueStats } from '../admin/index.js';

/** Renders rows as aligned columns under a header. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** A figure or `-` where the broker cannot know it. */
export function figure(n: number | null): string {
  return n === null ? '-' : n.toLocaleString('en-US');
}

export function statsText(queue: string, s: QueueStats): string {
  const rows: string[][] = [
    ['depth', figure(s.depth)],
    ['in flight', figure(s.inFlight)],
    ['delayed', figure(s.delayed)],
    ['dead letters', figure(s.deadLetters)],
    ['consumers', figure(s.consumers)],
  ];
  let out = `${queue}\n` + table(['', ''], rows).split('\n').slice(1).join('\n');
  if (s.lag)
    out += table(
      ['partition', 'committed', 'end', 'lag'],
      s.lag.map((l) => [String(l.partition), String(l.committed), String(l.end), String(l.lag)]),
    );
  return out;
}

/** Headers as `k=v` pairs on one line. */
function headerText(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}=${oneLine(v, 60)}`)
    .join(' ');
}

/** Text on one line, cut at `max` characters. */
export function oneLine(text: string, max: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length > max ? flat.slice(0, max - 1) + '…' : flat;
}

/** Whether text holds control characters other than tab, newline and carriage return. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return true;
  }
  return false;
}

/** A body for display: UTF-8 text as it is, else base64 with a marker. */
export function bodyText(body: Buffer): string {
  const text = body.toString('utf8');
  return Buffer.from(text, 'utf8').equals(body) && !hasControl(text) ? text : `base64:${body.toString('base64')}`;
}

export function peekText(messages: readonly PeekedMessage[]): string {
  if (messages.length === 0) return '(no messages)\n';
  const rows = messages.map((m) => [
    m.id,
    String(m.attempt),
    String(m.size),
    headerText(m.headers),
    ...(m.body ? [oneLine(bodyText(m.body), 80)] : []),
  ]);
  return table(['id', 'attempt', 'bytes', 'headers', ...(messages.some((m) => m.body) ? ['body'] : [])], rows);
}

export function deadText(letters: readonly DeadLetter[]): string {
  if (letters.length === 0) return '(no dead letters)\n';
  const rows = letters.map((l) => [
    l.id,
    l.deadAt === null ? '-' : new Date(l.deadAt).toISOString(),
    l.reason ?? '-',
    String(l.attempt),
    l.error ? oneLine(`${l.error.name}: ${l.error.message}`, 80) : '-',
  ]);
  return table(['id', 'dead at', 'reason', 'attempt', 'error'], rows);
}

export function showText(l: DeadLetter): string {
  const lines = [
    `id:       ${l.id}`,
    `reason:   ${l.reason ?? '-'}`,
    `error:    ${l.error ? `${l.error.name}: ${l.error.message}` : '-'}`,
    `dead at:  ${l.deadAt === null ? '-' : new Date(l.deadAt).toISOString()}`,
    `origin:   ${l.origin ?? '-'}`,
    `attempt:  ${l.attempt}`,
    `bytes:    ${l.size}`,
    'headers:',
    ...Object.entries(l.headers).map(([k, v]) => `  ${k}: ${v}`),
  ];
  if (l.body) lines.push('body:', bodyText(l.body));
  return lines.join('\n') + '\n';
}

/** JSON of a message: the body as UTF-8 text or base64 (`bodyEncoding` says which). */
export function messageJson<M extends PeekedMessage>(m: M): Record<string, unknown> {
  const { body, ...rest } = m;
  if (!body) return rest;
  const text = bodyText(body);
  return text.startsWith('base64:') && !body.toString('utf8').startsWith('base64:')
    ? { ...rest, body: body.toString('base64'), bodyEncoding: 'base64' }
    : { ...rest, body: body.toString('utf8'), bodyEncoding: 'utf8' };
}

/** A progress bar on one line, for a TTY's stderr. */
export function bar(done: number, total: number | null, rate: number): string {
  const width = 30;
  const frac = total && total > 0 ? Math.min(1, done / total) : 0;
  const fill = Math.round(frac * width);
  const of = total === null ? '' : `/${total.toLocaleString('en-US')}`;
  return `[${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${done.toLocaleString('en-US')}${of} ${Math.round(rate)}/s`;
}
