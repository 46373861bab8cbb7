// The rxq dashboard page: renders the state the server pushes over /events, plots the history,
// and lists dead letters on demand. Every value from the server is set as text, never as HTML.
const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2563eb', '#15803d', '#b91c1c', '#b45309', '#7c3aed'];

let state = null;
let token = sessionStorage.getItem('rxq-token') ?? '';
let openQueue = null; // id of the queue whose dead letters are shown
let showBodies = false;
let listedCount = null;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
  return node;
}

function fmt(n, digits = 1) {
  if (n === null || n === undefined) return '–';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + 'k';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}
const ms = (n) => (n === null || n === undefined ? '–' : n < 10 ? n.toFixed(2) + ' ms' : fmt(n, 0) + ' ms');

function figure(key, label, value) {
  return el(
    'div',
    { class: 'figure' },
    el('div', { class: 'label' }, label),
    el('div', { class: 'value', 'data-figure': key }, value),
  );
}

/** A small line plot of `lines` over `at`, the last `spanMs`; null values break a line. */
function plot(at, lines, spanMs, unit) {
  const w = 320;
  const h = 90;
  const pad = { l: 34, r: 4, t: 6, b: 14 };
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'plot');
  const now = state?.at ?? Date.now();
  // The window grows with the history (at least two minutes), up to the dashboard's historyMs.
  spanMs = Math.min(spanMs, Math.max(120_000, now - (at[0] ?? now)));
  const x0 = now - spanMs;
  let max = 0;
  for (const line of lines) for (const v of line.values) if (v !== null && v > max) max = v;
  max = max > 0 ? niceCeil(max) : 1;
  const X = (t) => pad.l + ((t - x0) / spanMs) * (w - pad.l - pad.r);
  const Y = (v) => pad.t + (1 - v / max) * (h - pad.t - pad.b);
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    svg.append(n);
    return n;
  };
  add('line', { x1: pad.l, x2: w - pad.r, y1: Y(0), y2: Y(0), class: 'axis' });
  add('line', { x1: pad.l, x2: w - pad.r, y1: Y(max), y2: Y(max), class: 'axis', 'stroke-dasharray': '2 3' });
  add('text', { x: pad.l - 3, y: Y(max) + 4, 'text-anchor': 'end' }, fmt(max, 0));
  add('text', { x: pad.l - 3, y: Y(0), 'text-anchor': 'end' }, '0');
  add('text', { x: pad.l, y: h - 2 }, `−${Math.round(spanMs / 60_000)} min`);
  add('text', { x: w - pad.r, y: h - 2, 'text-anchor': 'end' }, unit);
  lines.forEach((line, i) => {
    let d = '';
    let pen = false;
    line.values.forEach((v, j) => {
      if (v === null || at[j] < x0) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${X(at[j]).toFixed(1)},${Y(v).toFixed(1)}`;
      pen = true;
    });
    add('path', {
      d,
      fill: 'none',
      stroke: COLORS[i % COLORS.length],
      'stroke-width': 1.5,
      'vector-effect': 'non-scaling-stroke',
    });
  });
  const legend = el(
    'div',
    { class: 'legend' },
    lines.map((line, i) => {
      const swatch = el('i');
      swatch.style.background = COLORS[i % COLORS.length]; // CSSOM: the CSP allows no inline style attribute
      return el('span', {}, swatch, line.label);
    }),
  );
  return el('div', {}, svg, legend);
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function queueCard(q) {
  const s = q.stats ?? {};
  const lag = s.lag ? s.lag.reduce((n, p) => n + p.lag, 0) : null;
  const card = el(
    'div',
    { class: 'card', 'data-queue': q.queue, 'data-queue-id': q.id },
    el('div', { class: 'bar' }, el('h3', {}, q.queue), el('span', { class: 'pill' }, q.broker ?? '?')),
    el('div', { class: 'sub' }, q.target ?? '', q.destination ? ` · dead letters in ${q.destination}` : ''),
    q.error ? el('div', { class: 'error' }, q.error) : null,
    el(
      'div',
      { class: 'figures' },
      figure('depth', 'depth', fmt(s.depth)),
      figure('inFlight', 'in flight', fmt(s.inFlight)),
      figure('delayed', 'delayed', fmt(s.delayed)),
      figure('deadLetters', 'dead letters', fmt(s.deadLetters)),
      figure('consumers', 'consumers', fmt(s.consumers)),
      lag === null ? null : figure('lag', 'lag', fmt(lag)),
      figure('consumed', 'consumed/s', fmt(q.consumedPerSec)),
    ),
    plot(
      q.history.at,
      [
        { label: 'depth', values: q.history.depth },
        { label: 'dead letters', values: q.history.deadLetters },
      ],
      state.historyMs,
      'messages',
    ),
    el(
      'div',
      { class: 'bar' },
      el('span', { class: 'spacer' }),
      el('button', { type: 'button', 'data-action': 'dead-letters', onclick: () => openDead(q.id) }, 'Dead letters'),
    ),
  );
  return card;
}

function consumerCard(c) {
  return el(
    'div',
    { class: 'card', 'data-consumer': c.name ?? c.address },
    el(
      'div',
      { class: 'bar' },
      el('h3', {}, c.name ?? c.address),
      el('span', { class: 'pill', 'data-state': c.up ? 'live' : 'down' }, c.up ? 'reporting' : 'unreachable'),
    ),
    el('div', { class: 'sub' }, c.address, c.pid ? ` · pid ${c.pid}` : '', c.host ? ` on ${c.host}` : ''),
    c.error ? el('div', { class: 'error' }, c.error) : null,
    c.sources.map((s) => sourceBlock(s)),
  );
}

function sourceBlock(s) {
  const r = s.rates;
  const errors = s.errors ? Object.entries(s.errors) : [];
  return el(
    'div',
    { class: 'source', 'data-source': s.name },
    el(
      'div',
      { class: 'bar' },
      el('strong', {}, s.name),
      el(
        'span',
        { class: 'pill', 'data-state': s.status, 'data-figure': 'status' },
        s.status + (s.retry ? ` (retry ${s.retry})` : ''),
      ),
      s.error ? el('span', { class: 'error' }, s.error) : null,
    ),
    el(
      'div',
      { class: 'figures' },
      figure('inFlight', 'in flight', fmt(s.inFlight)),
      figure('received', 'received', fmt(s.totals.received)),
      figure('acked', 'acked', fmt(s.totals.acked)),
      figure('deadLettered', 'dead-lettered', fmt(s.totals.deadLettered)),
      figure('resent', 'resent', fmt(s.totals.resent)),
      figure('receivedRate', 'received/s', fmt(r?.received)),
      figure('ackedRate', 'acked/s', fmt(r?.acked)),
      figure('failedRate', 'failed/s', fmt(r?.failed)),
      figure('p50', 'p50', ms(s.latency.p50)),
      figure('p90', 'p90', ms(s.latency.p90)),
      figure('p99', 'p99', ms(s.latency.p99)),
      figure('mean', 'mean', ms(s.latency.mean)),
    ),
    errors.length
      ? el(
          'div',
          { class: 'sub', 'data-figure': 'errors' },
          'errors: ',
          errors.map(([k, v]) => `${k} × ${v}`).join(', '),
        )
      : null,
    plot(
      s.history.at,
      [
        { label: 'received/s', values: s.history.received },
        { label: 'acked/s', values: s.history.acked },
        { label: 'failed/s', values: s.history.failed },
      ],
      state.historyMs,
      'per second',
    ),
    plot(
      s.history.at,
      [
        { label: 'p50', values: s.history.p50 },
        { label: 'p99', values: s.history.p99 },
      ],
      state.historyMs,
      'ms',
    ),
  );
}

function render() {
  const live = $('live');
  $('mode').textContent = !state.actions ? 'read-only' : token ? 'actions unlocked' : 'locked';
  $('token-form').hidden = !state.actions || !!token;
  $('lock').hidden = !state.actions || !token;
  $('queues').replaceChildren(...state.queues.map(queueCard));
  if (state.queues.length === 0) $('queues').append(el('p', { class: 'muted' }, 'No queues configured.'));
  $('consumers').replaceChildren(...state.consumers.map(consumerCard));
  if (state.consumers.length === 0) $('consumers').append(el('p', { class: 'muted' }, 'No consumers configured.'));
  live.dataset.state = 'live';
  live.textContent = `live · ${new Date(state.at).toLocaleTimeString()}`;
  for (const id of ['redrive', 'purge', 'show-bodies']) $(id).disabled = !state.actions;
  if (openQueue !== null) {
    const q = state.queues.find((x) => x.id === openQueue);
    if (q && q.stats && q.stats.deadLetters !== listedCount) void loadDead();
  }
}

async function api(path, init = {}) {
  const headers = { ...(init.headers ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { ...init, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function message(text, bad = false) {
  const m = $('dead-message');
  m.textContent = text;
  m.className = bad ? 'message error' : 'message';
}

function openDead(id) {
  openQueue = id;
  showBodies = false;
  listedCount = null;
  $('dead').hidden = false;
  message('');
  void loadDead().then(() => $('dead').scrollIntoView({ block: 'start' }));
}

async function loadDead() {
  const q = state.queues.find((x) => x.id === openQueue);
  if (!q) return;
  $('dead-queue').textContent = q.queue;
  listedCount = q.stats?.deadLetters ?? null;
  let result;
  try {
    result = await api(`/api/queues/${q.id}/dead-letters?limit=200${showBodies ? '&body=1' : ''}`);
  } catch (error) {
    message(error.message, true);
    return;
  }
  $('dead-count').textContent =
    `${result.letters.length} shown${listedCount !== null ? ` of ${listedCount}` : ''} · ${result.destination}`;
  $('select-all').checked = false;
  const rows = result.letters.map((l) =>
    el(
      'tr',
      { 'data-id': l.id },
      el('td', {}, el('input', { type: 'checkbox', 'data-select': l.id, 'aria-label': `select ${l.id}` })),
      el('td', { class: 'id' }, l.id),
      el('td', { 'data-field': 'reason' }, l.reason ?? '–'),
      el(
        'td',
        { 'data-field': 'error' },
        l.error ? `${l.error.name}: ${l.error.message}` : '–',
        l.body !== undefined ? el('pre', { 'data-field': 'body' }, l.body + (l.bodyTruncated ? '…' : '')) : null,
      ),
      el('td', {}, l.deadAt ? new Date(l.deadAt).toLocaleString() : '–'),
      el('td', {}, String(l.attempt)),
      el('td', {}, `${l.size} B`),
      el(
        'td',
        { class: 'headers' },
        el(
          'details',
          {},
          el('summary', {}, `${Object.keys(l.headers).length}`),
          el(
            'pre',
            {},
            Object.entries(l.headers)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n'),
          ),
        ),
      ),
    ),
  );
  $('dead-table').tBodies[0].replaceChildren(...rows);
}

function selectedIds() {
  return [...document.querySelectorAll('input[data-select]:checked')].map((i) => i.dataset.select);
}

function confirmAction(text) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-text').textContent = text;
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

async function act(action) {
  const q = state.queues.find((x) => x.id === openQueue);
  if (!q) return;
  const ids = selectedIds();
  const what = ids.length
    ? `${ids.length} selected dead letter${ids.length === 1 ? '' : 's'}`
    : `all dead letters (${fmt(q.stats?.deadLetters)})`;
  const text =
    action === 'redrive' ? `Move ${what} of ${q.queue} back to ${q.queue}?` : `Delete ${what} of ${q.queue} for good?`;
  if (!(await confirmAction(text))) return;
  message(`${action}…`);
  try {
    const result = await api(`/api/queues/${q.id}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ids.length ? { ids } : {}),
    });
    message(action === 'redrive' ? `moved ${result.moved} of ${result.matched}` : `purged ${result.purged}`);
  } catch (error) {
    message(`${action} refused: ${error.message}`, true);
  }
  await loadDead();
}

/** `history` plus the points of `newest` after its last one, without those older than `from`. */
function append(history, newest, from) {
  if (!history) return newest;
  const lastAt = history.at[history.at.length - 1] ?? -Infinity;
  const out = {};
  const keep = history.at.findIndex((t) => t >= from);
  const start = keep < 0 ? history.at.length : keep;
  for (const key of Object.keys(newest)) out[key] = (history[key] ?? []).slice(start);
  newest.at.forEach((t, i) => {
    if (t <= lastAt) return;
    for (const key of Object.keys(newest)) out[key].push(newest[key][i]);
  });
  return out;
}

function connect() {
  const events = new EventSource('events');
  // `state` (on connect) has the whole history; each `update` only the newest point of each.
  events.addEventListener('state', (e) => {
    state = JSON.parse(e.data);
    render();
  });
  events.addEventListener('update', (e) => {
    const next = JSON.parse(e.data);
    if (!state) return;
    const from = next.at - next.historyMs;
    for (const q of next.queues) q.history = append(state.queues.find((x) => x.id === q.id)?.history, q.history, from);
    for (const c of next.consumers) {
      const before = state.consumers.find((x) => x.id === c.id);
      for (const s of c.sources)
        s.history = append(before?.sources.find((x) => x.name === s.name)?.history, s.history, from);
    }
    state = next;
    render();
  });
  events.addEventListener('error', () => {
    $('live').dataset.state = 'down';
    $('live').textContent = 'disconnected, retrying…';
  });
}

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  token = $('token').value;
  $('token').value = '';
  sessionStorage.setItem('rxq-token', token);
  if (state) render();
});
$('lock').addEventListener('click', () => {
  token = '';
  sessionStorage.removeItem('rxq-token');
  showBodies = false;
  if (state) render();
  if (openQueue !== null) void loadDead();
});
$('dead-close').addEventListener('click', () => {
  openQueue = null;
  $('dead').hidden = true;
});
$('show-bodies').addEventListener('click', () => {
  showBodies = !showBodies;
  $('show-bodies').textContent = showBodies ? 'Hide bodies' : 'Show bodies';
  void loadDead();
});
$('select-all').addEventListener('change', (e) => {
  for (const box of document.querySelectorAll('input[data-select]')) box.checked = e.target.checked;
});
$('redrive').addEventListener('click', () => void act('redrive'));
$('purge').addEventListener('click', () => void act('purge'));
connect();
