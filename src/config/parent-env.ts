/**
 * A frozen snapshot of the sidecar's own environment, taken at the edge (only `src/config/`
 * reads `process.env`). The agent supervisor picks its allowlisted base variables and each
 * agent type's `inherit_env` names from it; nothing else of it ever reaches a child.
 *
 * @example new AgentSupervisor({ parentEnv: parentEnvironment(), … })
 */
export function parentEnvironment(env: NodeJS.ProcessEnv = process.env): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return Object.freeze(out);
}
