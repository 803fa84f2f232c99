import { SpawnFailedError } from '../errors/index.js';
import { writeFileAtomic } from '../storage/atomic-write.js';
import { MCP_CONFIG_FILE } from './agent-store.js';
import { agentMcpConfig } from '../mcp/client-config.js';
import { buildChildEnv } from './child-env.js';
import { SpawnError } from './agent-spawner.js';
import { substituteArgs, substituteEnv } from './argv-template.js';
import { readBootId } from './proc-stat.js';
import { writeAgentContextFile } from './agent-context-file.js';
import type { AgentRecord, MintedChildToken } from './types.js';
import type { LiveAgent, Pending, SupervisorState } from './supervisor-state.js';
import type { AgentExits } from './agent-exits.js';

/**
 * Starting an accepted agent whose slot is taken: token, context file, MCP config file,
 * environment and argv, then the process (in the spawner worker) and its timeout.
 */
export class AgentLauncher {
  constructor(
    private readonly s: SupervisorState,
    private readonly exits: AgentExits,
  ) {}

  /**
   * Build the context, write the context file, open the logs, spawn. The slot is already taken
   * (`starting`). On failure the record is `failed` and a SpawnFailedError is thrown.
   */
  async start(p: Pending, fromQueue: boolean): Promise<void> {
    const s = this.s;
    const rec = s.mustGet(p.id);
    try {
      let token = p.token;
      if (fromQueue) {
        // The first token was minted at request time; one that waited in the queue gets a fresh
        // life (still capped by the caller's expiry).
        if (p.tokenRequest.not_after <= Math.floor(Date.now() / 1000)) {
          throw new SpawnFailedError('The spawning token expired before the agent could start');
        }
        token = await s.deps.mintToken(p.tokenRequest);
      }
      const contextFile = s.store.fileOf(p.id, 'context.json');
      rec.context_injected = await writeAgentContextFile({
        file: contextFile,
        rec,
        request: p.request,
        sidecarUrl: s.sidecarUrl(),
        buildContext: s.deps.buildContext?.bind(s.deps),
        timeoutMs: s.deps.contextTimeoutMs ?? 60_000,
        log: s.log,
      });

      const cancelledBefore = s.cancelled.get(p.id) ?? (s.closing ? 'sidecar_shutdown' : undefined);
      if (cancelledBefore) {
        await this.exits.finishUnstarted(rec, 'killed', cancelledBefore);
        return;
      }

      const { env, args } = await this.commandLine(p, rec, token, contextFile);
      const live: LiveAgent = {
        identity: { pid: 0, startTicks: null, bootId: readBootId() },
        durationMs: null,
        exit: null,
        endReason: null,
        forced: false,
        timers: new Set(),
        finalizing: false,
      };
      const started = await this.spawn(p, rec, live, env, args);
      live.identity = { pid: started.pid, startTicks: started.startTicks, bootId: live.identity.bootId };
      s.live.set(p.id, live);
      s.starting.delete(p.id);
      rec.status = 'running';
      rec.process_id = started.pid;
      rec.process_start_ticks = started.startTicks;
      rec.boot_id = live.identity.bootId;
      rec.started_at = new Date().toISOString();
      s.events.spawned(rec);
      const timeout = setTimeout(() => this.exits.terminate(live, 'timeout', false), rec.timeout_seconds * 1000);
      live.timers.add(timeout);
      // The exit may already have been reported while this awaited nothing: it cannot, the
      // worker posts 'spawned' before any 'exit'; a kill or shutdown during the start applies now.
      const late = s.cancelled.get(p.id) ?? (s.closing ? 'sidecar_shutdown' : undefined);
      if (late) this.exits.terminate(live, late, false);
      await s.persist(rec);
      s.log.info({ agent_id: p.id, agent_type: rec.agent_type, pid: started.pid }, 'agent started');
    } catch (err) {
      if (!s.live.has(p.id)) {
        rec.error = err instanceof SpawnFailedError ? err.message : 'Agent spawn failed';
        await this.exits.finishUnstarted(rec, 'failed', null);
        s.log.error({ agent_id: p.id, err: (err as Error).message }, 'agent start failed');
        throw err instanceof SpawnFailedError ? err : new SpawnFailedError('Agent spawn failed', { agent_id: p.id });
      }
      throw err;
    }
  }

  /** Write the agent's MCP config file, then its environment and argv with the placeholders filled in. */
  private async commandLine(
    p: Pending,
    rec: AgentRecord,
    token: MintedChildToken,
    contextFile: string,
  ): Promise<{ env: Record<string, string>; args: string[] }> {
    const s = this.s;
    // The agent's MCP configuration: the sidecar's /mcp with this agent's own token.
    const mcpConfigFile = s.store.fileOf(p.id, MCP_CONFIG_FILE);
    const sidecarBase = s.sidecarUrl().replace(/\/api$/, '');
    const mcpUrl = `${sidecarBase}/mcp`;
    await writeFileAtomic(mcpConfigFile, agentMcpConfig(p.command.mcp_config_format ?? 'json', sidecarBase, token.token), 0o600, { durable: false });

    const placeholders = {
      task: rec.task,
      issue_id: rec.issue_id,
      agent_type: rec.agent_type,
      agent_id: p.id,
      context_file: contextFile,
      mcp_config: mcpConfigFile,
      mcp_url: mcpUrl,
    };
    const env = buildChildEnv(s.deps.parentEnv, { ...p.command, env: substituteEnv(p.command.env, placeholders) }, p.request.environment, {
      AGENT_ID: p.id,
      AGENT_TYPE: rec.agent_type,
      ISSUE_ID: rec.issue_id,
      PROJECT_ID: rec.project_id,
      SIDECAR_URL: s.sidecarUrl(),
      JWT_TOKEN: token.token,
      TASK: rec.task,
      CONTEXT_FILE: contextFile,
      PROJECT_ROOT: s.config.project_root,
      CCO_MCP_CONFIG: mcpConfigFile,
      CCO_AGENT_MARK: p.id,
    });
    const args = substituteArgs(p.command.args, placeholders);
    return { env, args };
  }

  /** The fork+exec and the pipes live in the spawner worker, off this event loop. */
  private async spawn(
    p: Pending,
    rec: AgentRecord,
    live: LiveAgent,
    env: Record<string, string>,
    args: string[],
  ): Promise<{ pid: number; startTicks: number | null }> {
    const s = this.s;
    try {
      return await s.spawner.spawn(
        p.id,
        {
          command: p.command.command,
          args,
          cwd: s.config.project_root,
          env,
          stdoutFile: s.store.fileOf(p.id, 'stdout.log'),
          stderrFile: s.store.fileOf(p.id, 'stderr.log'),
          logCapBytes: s.config.agent_log_max_bytes,
          stdioGraceMs: s.graceMs + 1_000,
          nice: s.config.agent_nice,
        },
        {
          onExit: (exit) => this.exits.onExit(p.id, live, exit),
          onClosed: (dropped) => void this.exits.finalize(p.id, live, dropped),
        },
      );
    } catch (err) {
      const errno = err instanceof SpawnError ? err.errno : null;
      throw new SpawnFailedError(`Cannot start the command configured for '${rec.agent_type}': ${errno ?? (err as Error).message}`, {
        agent_type: rec.agent_type,
        errno,
      });
    }
  }
}
