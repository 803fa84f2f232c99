import { UnknownAgentTypeError } from '../errors/index.js';
import type { AgentCommand } from '../config/schema.js';
import { isDangerousEnvKey, isReservedEnvKey } from './child-env.js';

/**
 * The command configured for an agent type: its own entry, else the `default` entry when the
 * operator configured one, else 400 AGT_002. A request never carries a command.
 *
 * @example resolveAgentCommand(config.agents, 'python-specialist')
 */
export function resolveAgentCommand(agents: Readonly<Record<string, AgentCommand>>, agentType: string): AgentCommand {
  const own = Object.hasOwn(agents, agentType) ? agents[agentType] : undefined;
  const chosen = own ?? (Object.hasOwn(agents, 'default') ? agents.default : undefined);
  if (!chosen) throw new UnknownAgentTypeError(agentType);
  return chosen;
}

/**
 * Check the operator's agent configuration once at start, so a mistake fails loudly then and
 * not on the first spawn. Returns human-readable problems (empty when fine).
 *
 * The operator's `env` is trusted (it may set NODE_OPTIONS for a node agent, say) but may not
 * override the documented variables; `inherit_env` may not pass dangerous names through either,
 * since their values come from whoever started the sidecar, not from the config file.
 */
export function checkAgentConfig(agents: Readonly<Record<string, AgentCommand>>): string[] {
  const problems: string[] = [];
  for (const [type, cmd] of Object.entries(agents)) {
    for (const key of Object.keys(cmd.env)) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.push(`agents.${type}.env.${key}: not a valid variable name`);
      else if (isReservedEnvKey(key)) problems.push(`agents.${type}.env.${key}: overrides a variable the sidecar sets`);
      if (cmd.env[key]?.includes('\0')) problems.push(`agents.${type}.env.${key}: contains a NUL character`);
    }
    for (const key of cmd.inherit_env) {
      if (isReservedEnvKey(key)) problems.push(`agents.${type}.inherit_env: ${key} is set by the sidecar`);
      else if (isDangerousEnvKey(key)) problems.push(`agents.${type}.inherit_env: ${key} can make the child run other code`);
    }
    if (cmd.command.includes('\0') || cmd.args.some((a) => a.includes('\0'))) problems.push(`agents.${type}: NUL character in command or args`);
  }
  return problems;
}
