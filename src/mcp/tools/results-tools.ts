import { z } from 'zod';
import type { ResultEnvelope, ResultPage } from '../../results/result-store.js';
import { listResultsQuery, resultIdParams, storeResultBody, type StoreResultResponse } from '../../contract/results.js';
import { defineTool } from '../tool-definition.js';

/** `store_result`, `list_results`, `get_result` mirror `POST /api/results`, `GET /api/results`, `GET /api/results/:id`. */
export const resultsTools = [
  defineTool({
    name: 'store_result',
    title: 'Store your result',
    description: [
      'Stores your outcome for the issue durably and announces it to the team (event agent_completed, or agent_failed',
      'when status is "failed"). Call it once when you finish, also when you failed. result.status is "success", "failed"',
      'or "partial"; add files_created, files_modified, decisions, rationale, next_steps, errors as useful.',
      'Returns the result id and next_agents: the agent types that should work next, with priority and reason.',
      'agent_id, agent_type and issue_id default to your token.',
    ].join(' '),
    permission: 'write_results',
    input: storeResultBody,
    claimDefaults: { agent_id: 'sub', agent_type: 'agent_type', issue_id: 'issue_id' },
    readOnly: false,
    audit: 'data',
    run: ({ caller, services }, body) => services.results.store(caller, body),
    summary: (out: StoreResultResponse) =>
      `Stored result ${out.id}${out.event_published ? ` (event ${out.event_id})` : ''}; next: ` +
      (out.next_agents.length > 0 ? out.next_agents.map((n) => `${n.agent_type} (${n.priority})`).join(', ') : 'no agent') +
      '.',
  }),
  defineTool({
    name: 'list_results',
    title: 'List stored results',
    description: [
      'Lists results stored by agents of this project, newest first: filter by issue_id, agent_type, status,',
      'since/until (ISO 8601); latest="true" keeps only the newest per agent type. Pass next_cursor back as cursor',
      'for the next page. An issue-scoped token sees its issue only.',
    ].join(' '),
    permission: 'read_results',
    input: listResultsQuery,
    queryInput: true,
    readOnly: true,
    run: ({ caller, services }, query) => services.results.list(caller, query),
    summary: (out: ResultPage) => `${out.results.length} result(s)${out.next_cursor ? '; more with cursor = next_cursor' : ''}.`,
  }),
  defineTool({
    name: 'get_result',
    title: 'Get one result',
    description: 'Returns one stored result envelope (agent, issue, the result itself, timestamps) by its id, e.g. the result_id of an agent_completed event.',
    permission: 'read_results',
    input: z.strictObject({ result_id: resultIdParams.shape.id }),
    readOnly: true,
    run: ({ caller, services }, { result_id }) => services.results.get(caller, result_id),
    summary: (out: ResultEnvelope) => `Result ${out.id}: ${out.agent_type} on ${out.issue_id}, status ${out.result.status}.`,
  }),
];
