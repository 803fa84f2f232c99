import { LuaScript, type RedisClient } from '../../redis/redis-connection.js';
import { FINAL_STATUSES, type AgentRecord } from '../types.js';

/** A record as shared on Redis: the owner's record plus the node that runs it. */
export type SharedAgentRecord = AgentRecord & { node_id: string };

/**
 * Marks the running agents of every node whose heartbeat is older than ARGV[1] ms as failed
 * (`node_lost`) and forgets those nodes, in one step: of several live nodes sweeping at once,
 * exactly one gets each agent back, so its `agent_failed` event is published once.
 * Redis's own clock decides, so clock skew between machines does not kill a node.
 * The per-node live sets share the hash tag of KEYS[1], so they sit in the same slot.
 */
const REAP_SCRIPT = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local out = {}
for _, node in ipairs(dead) do
  local liveKey = ARGV[3] .. node
  for _, id in ipairs(redis.call('SMEMBERS', liveKey)) do
    local raw = redis.call('HGET', KEYS[2], id)
    if raw then
      local rec = cjson.decode(raw)
      if rec.node_id == node and (rec.status == 'queued' or rec.status == 'running') then
        rec.status = 'failed'
        rec.reason = 'node_lost'
        rec.ended_at = ARGV[2]
        local enc = cjson.encode(rec)
        redis.call('HSET', KEYS[2], id, enc)
        table.insert(out, enc)
      end
    end
  end
  redis.call('DEL', liveKey)
  redis.call('ZREM', KEYS[1], node)
end
return out
`);

/** Stamps this node's heartbeat with Redis's clock. */
const BEAT_SCRIPT = new LuaScript(`
local t = redis.call('TIME')
redis.call('ZADD', KEYS[1], tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), ARGV[1])
return 1
`);

/** Milliseconds since the node's last heartbeat, or -1 when it has none (never seen, stopped, or reaped). */
const AGE_SCRIPT = new LuaScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return -1 end
local t = redis.call('TIME')
return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(s)
`);

/**
 * The agent registry's data on Redis, under the project's hash tag: `agents` (hash: id → record
 * with its node), `agents:nodes` (sorted set: node → last heartbeat, ms) and
 * `agents:live:<node>` (set: the node's queued and running agents, what a reap looks at).
 */
export class RedisAgentTable {
  private readonly recordsKey: string;
  private readonly nodesKey: string;
  private readonly livePrefix: string;

  constructor(
    private readonly client: RedisClient,
    projectId: string,
  ) {
    const base = `cco:{${projectId}}:agents`;
    this.recordsKey = base;
    this.nodesKey = `${base}:nodes`;
    this.livePrefix = `${base}:live:`;
  }

  async put(record: Readonly<AgentRecord>, nodeId: string): Promise<void> {
    const shared: SharedAgentRecord = { ...record, node_id: nodeId };
    const live = `${this.livePrefix}${nodeId}`;
    const tx = this.client.multi().hSet(this.recordsKey, record.agent_id, JSON.stringify(shared));
    if (FINAL_STATUSES.has(record.status)) tx.sRem(live, record.agent_id);
    else tx.sAdd(live, record.agent_id);
    await tx.exec();
  }

  async remove(id: string, nodeId: string): Promise<void> {
    await this.client.multi().hDel(this.recordsKey, id).sRem(`${this.livePrefix}${nodeId}`, id).exec();
  }

  async get(id: string): Promise<SharedAgentRecord | undefined> {
    const raw = await this.client.hGet(this.recordsKey, id);
    return raw ? parse(raw) : undefined;
  }

  async all(): Promise<SharedAgentRecord[]> {
    const raws = await this.client.hVals(this.recordsKey);
    return raws.map(parse).filter((r): r is SharedAgentRecord => r !== undefined);
  }

  async beat(nodeId: string): Promise<void> {
    await BEAT_SCRIPT.run(this.client, [this.nodesKey], [nodeId]);
  }

  /** A clean stop: the node leaves (its agents have all ended), nothing for others to reap. */
  async leave(nodeId: string): Promise<void> {
    await this.client.zRem(this.nodesKey, nodeId);
  }

  /** Whether the node's heartbeat is younger than `lapseMs`. */
  async alive(nodeId: string, lapseMs: number): Promise<boolean> {
    const age = Number(await AGE_SCRIPT.run(this.client, [this.nodesKey], [nodeId]));
    return age >= 0 && age < lapseMs;
  }

  /** The agents this call marked failed because their node's heartbeat lapsed. */
  async reapLapsed(lapseMs: number): Promise<SharedAgentRecord[]> {
    const out = (await REAP_SCRIPT.run(this.client, [this.nodesKey, this.recordsKey], [lapseMs, new Date().toISOString(), this.livePrefix])) as string[];
    return out.map(parse).filter((r): r is SharedAgentRecord => r !== undefined);
  }
}

function parse(raw: string): SharedAgentRecord | undefined {
  try {
    const r = JSON.parse(raw) as SharedAgentRecord;
    return typeof r.agent_id === 'string' && typeof r.node_id === 'string' ? r : undefined;
  } catch {
    return undefined;
  }
}
