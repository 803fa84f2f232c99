import { clock, debounce, fillTable, h } from './dom.js';

/** Events kept in the page (filters look through these); only the newest 500 matches are drawn. */
const KEEP = 5000;
const SHOWN = 500;

/** The event stream, newest first, filtered by type and topic in the page. */
export function startEventsPanel() {
  const tbody = document.querySelector('#events-table tbody');
  const typeInput = document.getElementById('filter-type');
  const topicInput = document.getElementById('filter-topic');
  const count = document.getElementById('events-count');
  const events = [];
  let received = 0;

  function render() {
    const type = typeInput.value.trim();
    const topic = topicInput.value.trim();
    const shown = [];
    for (let i = events.length - 1; i >= 0 && shown.length < SHOWN; i--) {
      const e = events[i];
      if (type && !e.event_type.includes(type)) continue;
      if (topic && e.topic !== topic) continue;
      shown.push(e);
    }
    fillTable(
      tbody,
      shown,
      (e) =>
        h(
          'tr',
          { 'data-event': e.event_id },
          h('td', { text: clock(e.timestamp), title: e.timestamp }),
          h('td', { text: e.event_type }),
          h('td', { text: e.topic }),
          h('td', { text: e.publisher }),
          h('td', { className: 'data', text: JSON.stringify(e.data).slice(0, 300), title: e.event_id }),
        ),
      SHOWN,
    );
    count.textContent = `${received} received`;
  }

  // A burst (a replay of 10,000 buffered events) is drawn once, not 10,000 times.
  const scheduled = debounce(render, 150);
  typeInput.addEventListener('input', scheduled);
  topicInput.addEventListener('input', scheduled);
  render();
  return {
    add(event) {
      received++;
      events.push(event);
      if (events.length > KEEP) events.splice(0, events.length - KEEP);
      scheduled();
    },
  };
}
