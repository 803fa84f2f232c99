#!/usr/bin/env node
/**
 * cco example agent: the published agent flow, using nothing but its environment and the
 * global fetch of Node >= 18 (no dependencies, no SDK).
 *
 *   1. get context   (CONTEXT_FILE written by the sidecar, then GET /api/context/:issue/:type)
 *   2. work          (here: list the TODO/FIXME markers in the files the context holds)
 *   3. store result  (POST /api/results)
 *   4. publish       (POST /api/events/task_completed on topic coordination)
 *   5. exit 0        (the sidecar then publishes agent_completed)
 *
 * Before every call it refreshes its token (POST /api/auth/refresh) when fewer than
 * AGENT_REFRESH_MARGIN_SECONDS (default 300) remain: tokens last 1 h, agents may run longer.
 * It retries 429 and 503 answers after the advertised Retry-After, 408 and connection failures
 * after a short pause.
 *
 * Environment (set by the sidecar): AGENT_ID, AGENT_TYPE, ISSUE_ID, PROJECT_ID, SIDECAR_URL
 * (ends in /api), JWT_TOKEN, TASK, CONTEXT_FILE, PROJECT_ROOT.
 * Optional: AGENT_REFRESH_MARGIN_SECONDS, AGENT_CONTEXT_MAX_BYTES (default 262144).
 */
import { readFile } from 'node:fs/promises';

const env = process.env;
const required = ['AGENT_ID', 'AGENT_TYPE', 'ISSUE_ID', 'SIDECAR_URL', 'JWT_TOKEN', 'TASK'];
for (const name of required) {
  if (!env[name]) {
    console.error(`example-agent: ${name} is not set; run me through the sidecar (cco orchestration spawn)`);
    process.exit(2);
  }
}
const api = env.SIDECAR_URL.replace(/\/+$/, '');
const refreshMargin = Number(env.AGENT_REFRESH_MARGIN_SECONDS ?? 300);
const contextMaxBytes = Number(env.AGENT_CONTEXT_MAX_BYTES ?? 262_144);
let token = env.JWT_TOKEN;
const started = Date.now();

const log = (msg) => console.log(`[${new Date().toISOString()}] ${env.AGENT_ID}: ${msg}`);

class SidecarCallError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} → ${status} ${body?.code ?? ''} ${body?.message ?? ''}`.trim());
    this.status = status;
    this.body = body;
  }
}

/** Seconds of life left in a JWT (its payload is readable; only the sidecar can verify it). */
function secondsLeft(jwt) {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
    return payload.exp - Date.now() / 1000;
  } catch {
    return 0;
  }
}

async function refreshTokenIfNeeded() {
  if (secondsLeft(token) > refreshMargin) return;
  const res = await fetch(`${api}/auth/refresh`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new SidecarCallError('POST', '/auth/refresh', res.status, body);
  token = body.token;
  log(`token refreshed, valid until ${body.expires_at}`);
}

async function call(method, path, body) {
  for (let attempt = 1; ; attempt++) {
    await refreshTokenIfNeeded();
    let res;
    try {
      res = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      // Connection refused or reset: the sidecar may be restarting. Nothing was processed.
      if (attempt < 6) {
        log(`${method} ${path} failed (${err.cause?.code ?? err.message}); retrying in ${attempt} s`);
        await new Promise((r) => setTimeout(r, attempt * 1000));
        continue;
      }
      throw err;
    }
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = { message: text };
    }
    // 429/503: told to wait; 408: the request did not arrive in time (a starved agent on a saturated
    // machine), so nothing was processed and sending it again is safe.
    if ((res.status === 429 || res.status === 503 || res.status === 408) && attempt < 6) {
      const wait = Number(res.headers.get('retry-after') ?? parsed?.details?.retry_after_seconds ?? 1);
      log(`${method} ${path} answered ${res.status}; retrying in ${wait} s`);
      await new Promise((r) => setTimeout(r, Math.min(wait, 60) * 1000));
      continue;
    }
    if (!res.ok) throw new SidecarCallError(method, path, res.status, parsed);
    return parsed;
  }
}

async function getContext() {
  let injected = null;
  if (env.CONTEXT_FILE) {
    injected = JSON.parse(await readFile(env.CONTEXT_FILE, 'utf8'));
    log(`context file read (context_injected: ${injected.context_injected})`);
  }
  const path = `/context/${encodeURIComponent(env.ISSUE_ID)}/${encodeURIComponent(env.AGENT_TYPE)}?max_bytes=${contextMaxBytes}`;
  const fetched = await call('GET', path);
  log(`context fetched: ${fetched.file_count} files, ${fetched.total_size_bytes} bytes, cache_hit ${fetched.cache_hit}`);
  return { injected, fetched };
}

/** The "work": find TODO/FIXME markers in the files the context carries. Real, deterministic, read-only. */
function work(context) {
  const files = context.fetched?.context?.relevant_files ?? [];
  const markers = [];
  for (const file of files) {
    const lines = String(file.content ?? '').split('\n');
    lines.forEach((line, i) => {
      const m = /\b(TODO|FIXME)\b[:\s]*(.*)/.exec(line);
      if (m) markers.push({ path: file.path, line: i + 1, kind: m[1], text: m[2].trim().slice(0, 200) });
    });
  }
  return { files_reviewed: files.length, markers };
}

async function main() {
  log(`starting on ${env.ISSUE_ID} as ${env.AGENT_TYPE}: ${env.TASK}`);
  const context = await getContext();
  const outcome = work(context);
  log(`reviewed ${outcome.files_reviewed} files, found ${outcome.markers.length} TODO/FIXME markers`);

  const stored = await call('POST', '/results', {
    agent_id: env.AGENT_ID,
    agent_type: env.AGENT_TYPE,
    issue_id: env.ISSUE_ID,
    result: {
      status: 'success',
      decisions: [`Reviewed ${outcome.files_reviewed} files from the context for: ${env.TASK}`],
      rationale: 'Example agent: reports the TODO/FIXME markers in the files the context engine selected.',
      files_created: [],
      files_modified: [],
      metrics: { files_reviewed: outcome.files_reviewed, markers: outcome.markers.length, duration_ms: Date.now() - started },
      next_steps: outcome.markers.slice(0, 20).map((m) => `${m.path}:${m.line} ${m.kind} ${m.text}`),
    },
  });
  log(`result stored: ${stored.id}`);

  try {
    const event = await call('POST', '/events/task_completed', {
      topic: 'coordination',
      data: { agent_id: env.AGENT_ID, agent_type: env.AGENT_TYPE, issue_id: env.ISSUE_ID, result_id: stored.id, markers: outcome.markers.length },
    });
    log(`completion event published: ${event.event_id}`);
  } catch (err) {
    // Documentation and support agents have no publish_events by default: the result is stored anyway.
    if (err instanceof SidecarCallError && err.status === 403) log('not allowed to publish events; result stored only');
    else throw err;
  }
  log(`done in ${Date.now() - started} ms`);
}

main().catch((err) => {
  console.error(`example-agent failed: ${err.message}`);
  process.exit(1);
});
