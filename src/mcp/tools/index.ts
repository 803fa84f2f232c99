import type { ToolDefinition } from '../tool-definition.js';
import { agentsTools } from './agents-tools.js';
import { contextTools } from './context-tools.js';
import { coordinationTools } from './coordination-tools.js';
import { eventsTools } from './events-tools.js';
import { resultsTools } from './results-tools.js';

/**
 * Every tool of spec §7 that has a service on this sidecar. Adding a tool is one definition in
 * the file of its resource (its schema comes from the route's contract, its `run` calls the
 * route's service) and, for a new resource, one entry here.
 */
export function allTools(): ToolDefinition[] {
  return [...contextTools, ...resultsTools, ...eventsTools, ...agentsTools, ...coordinationTools];
}
