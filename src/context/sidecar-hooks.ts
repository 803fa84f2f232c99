import type { PreviousAgentOutput } from './context-types.js';
import type { PublishInput } from './context-service.js';

/**
 * Adapters from sibling components to the plain functions the context engine takes. They look
 * for capabilities instead of importing the event bus or result store types, so the engine
 * compiles and runs whether or not those components are present (a missing bus publishes
 * nothing, a missing store means no previous outputs).
 */

type Fn = (...args: never[]) => unknown;
const method = (obj: unknown, name: string): Fn | undefined => {
  const fn = (obj as Record<string, unknown> | null | undefined)?.[name];
  return typeof fn === 'function' ? (fn as Fn).bind(obj) : undefined;
};

/** `bus.publish({event_type, topic, data, publisher})`, or undefined without a bus. */
export function publisherOf(bus: unknown, publisher = 'cco-sidecar'): ((event: PublishInput) => Promise<unknown>) | undefined {
  const publish = method(bus, 'publish') as ((input: PublishInput & { publisher: string }) => Promise<unknown>) | undefined;
  return publish ? (event) => publish({ ...event, publisher }) : undefined;
}

/** `results.previousOutputs(projectId, issueId)`, or an empty list without a store. */
export function previousOutputsOf(results: unknown): (projectId: string, issueId: string) => Promise<PreviousAgentOutput[]> {
  const fn = method(results, 'previousOutputs') as ((p: string, i: string) => Promise<PreviousAgentOutput[]>) | undefined;
  return fn ?? (async () => []);
}

/** Subscribe to "a result was stored" (to invalidate that issue's contexts); returns the unsubscribe function. */
export function onResultStored(results: unknown, listener: (issueId: string) => void): () => void {
  const on = method(results, 'onStored') as ((l: (e: { issue_id: string }) => void) => () => void) | undefined;
  return on ? on((e) => listener(e.issue_id)) : () => undefined;
}
