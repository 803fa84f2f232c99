// Small DOM helpers: elements are built with createElement and textContent only (no innerHTML),
// so nothing an agent logs or publishes can become markup.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === 'className') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
}

export function pill(status) {
  return h('span', { className: `pill s-${String(status).replace(/[^a-z_-]/gi, '')}`, text: status });
}

export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString();
}

/** Coalesce many "something changed" calls into one run after `ms`. */
export function debounce(fn, ms) {
  let timer = null;
  return () => {
    if (timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      fn();
    }, ms);
  };
}

const SVG = 'http://www.w3.org/2000/svg';

/** Draw `values` as a polyline filling the svg's 120×30 viewBox. */
export function sparkline(svg, values) {
  clear(svg);
  if (values.length < 2) return;
  const max = Math.max(...values, 1e-9);
  const step = 120 / (values.length - 1);
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(29 - (v / max) * 28).toFixed(1)}`).join(' ');
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('points', points);
  svg.append(line);
}

/** Fill a table body with at most `limit` rows built by `row`. */
export function fillTable(tbody, items, row, limit = 500) {
  const frag = document.createDocumentFragment();
  for (const item of items.slice(0, limit)) frag.append(row(item));
  clear(tbody);
  tbody.append(frag);
}
