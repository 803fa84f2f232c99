import type { AppDeps } from '../server/app-deps.js';
import { AgentsService } from './agents-service.js';
import { LocalAgentRegistry } from '../agents/agent-registry.js';
import { AuthService } from './auth-service.js';
import { ContextAccessService } from './context-access-service.js';
import { EventsService } from './events-service.js';
import { ResultsService } from './results-service.js';
import { IssuesService } from './issues-service.js';

export type { Caller } from './caller.js';
export { AgentsService, AuthService, ContextAccessService, EventsService, IssuesService, ResultsService };
export { RESULT_EVENT_TOPIC } from './results-service.js';
export type { ContextAnswer } from './context-access-service.js';

/**
 * The domain services: every use case the sidecar offers, each taking a `Caller` and input
 * already validated by the contract schemas. HTTP routes and MCP tools are thin doors onto these.
 */
export interface Services {
  auth: AuthService;
  results: ResultsService;
  events: EventsService;
  agents: AgentsService;
  context: ContextAccessService;
  issues: IssuesService;
}

/**
 * Build the services over the sidecar's components. They hold no state of their own, so a
 * second door (e.g. MCP) may build its own set over the same components.
 *
 * @example const services = createServices(handle.deps); await services.results.list(caller, {})
 */
export function createServices(deps: AppDeps): Services {
  // Components are read at call time (getters), so a component swapped on `deps` is the one used.
  const projectId = deps.config.project_id;
  const issues = new IssuesService({
    get issues() {
      return deps.issues;
    },
    get bus() {
      return deps.bus;
    },
    projectId,
    logger: deps.logger,
    get audit() {
      return deps.audit;
    },
  });
  return {
    auth: new AuthService(deps.tokens),
    results: new ResultsService({
      get results() {
        return deps.results;
      },
      get bus() {
        return deps.bus;
      },
      workflowRules: deps.config.workflow_rules,
      logger: deps.logger,
    }),
    events: new EventsService({
      get bus() {
        return deps.bus;
      },
    }),
    agents: new AgentsService({
      get agents() {
        return deps.agents;
      },
      get registry() {
        return deps.agentRegistry ?? new LocalAgentRegistry(deps.agents, deps.config.node_id);
      },
      projectId,
      issues,
      agentCommands: deps.config.agents,
    }),
    context: new ContextAccessService({
      get context() {
        return deps.context;
      },
      projectId,
    }),
    issues,
  };
}
