import { AgentsService } from '../agents/agents-service.js';
import { ContextAccess } from '../context/context-access.js';
import { EventsService } from '../events/events-service.js';
import { ResultsService } from '../results/results-service.js';
import type { AppDeps } from './app-deps.js';

/**
 * The domain services that own the use cases, shared by the HTTP routes and the MCP tools so
 * each rule exists once. They take the caller's verified claims (`AuthInfo`), never a Koa ctx.
 */
export interface Services {
  results: ResultsService;
  events: EventsService;
  agents: AgentsService;
  context: ContextAccess;
}

const built = new WeakMap<AppDeps, Services>();

/** The services over one set of components, built once per `AppDeps`. Components are read when used. */
export function servicesOf(deps: AppDeps): Services {
  let services = built.get(deps);
  if (!services) {
    services = {
      results: new ResultsService({
        get results() { return deps.results; },
        get bus() { return deps.bus; },
        logger: deps.logger,
        rules: deps.config.workflow_rules ?? undefined,
      }),
      events: new EventsService(() => deps.bus),
      agents: new AgentsService(() => deps.agents, deps.config.project_id),
      context: new ContextAccess(() => deps.context, deps.config.project_id),
    };
    built.set(deps, services);
  }
  return services;
}
