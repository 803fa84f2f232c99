import { getHealth } from './api.js';
import { clear, duration, h, sparkline } from './dom.js';

const POINTS = 60;
const POLL_MS = 5000;

function stat(label, value) {
  return h('div', { className: 'stat' }, h('b', { text: value ?? '–' }), h('span', { text: label }));
}

/** Health and /status counters, polled every 5 s (they have no event), with two sparklines. */
export function startHealthPanel(api) {
  const rps = [];
  const eps = [];
  let last = null;

  async function refresh() {
    const [health, status] = await Promise.all([getHealth(), api.get('/status')]);
    const state = document.getElementById('health-status');
    const word = health.body?.status ?? (health.status === 0 ? 'offline' : 'unhealthy');
    state.textContent = word;
    state.className = `pill s-${word}`;
    const s = status.status === 200 ? status.body : null;
    const c = health.body?.checks ?? {};
    const now = performance.now();
    if (s) {
      rps.push(s.performance.requests_per_second);
      if (last) eps.push(Math.max(0, (s.events.total_published - last.published) / ((now - last.at) / 1000)));
      last = { published: s.events.total_published, at: now };
      if (rps.length > POINTS) rps.shift();
      if (eps.length > POINTS) eps.shift();
    }
    const body = document.getElementById('health-body');
    clear(body);
    body.append(
      stat('version', health.body?.version),
      stat('uptime', duration((health.body?.uptime_seconds ?? NaN) * 1000)),
      stat('memory MB', c.memory_usage_mb),
      stat('cpu %', c.cpu_usage_percent),
      stat('watcher', typeof c.watcher === 'object' ? c.watcher?.status : c.watcher),
      stat('disk free MB', c.disk_space_available_mb),
    );
    if (s) {
      body.append(
        stat('agents active / queued', `${s.agents.active} / ${s.agents.queued}`),
        stat('agents completed / failed', `${s.agents.completed} / ${s.agents.failed}`),
        stat('events published', s.events.total_published),
        stat('subscriptions', s.events.active_subscriptions),
        stat('event buffer', s.events.queue_depth),
        stat('dead letters', s.events.dead_letter_queue_size),
        stat('results stored', s.storage.results_stored),
        stat('p95 ms', s.performance.p95_response_time_ms),
        stat('errors/min', s.performance.errors_per_minute),
      );
      document.getElementById('rps-now').textContent = String(rps.at(-1) ?? '');
      document.getElementById('eps-now').textContent = eps.length ? eps.at(-1).toFixed(1) : '';
    }
    sparkline(document.getElementById('spark-rps'), rps);
    sparkline(document.getElementById('spark-eps'), eps);
  }

  refresh();
  setInterval(refresh, POLL_MS);
}
