import { contextParams, contextQuery, type ContextResponseBody } from '../../contract/context.js';
import { defineTool } from '../tool-definition.js';

/** `get_context` mirrors `GET /api/context/:issue_id/:agent_type`. */
export const contextTools = [
  defineTool({
    name: 'get_context',
    title: 'Get the project context for your issue',
    description: [
      'Returns the slice of the project you need for an issue: project structure, the most relevant files',
      '(ranked for your agent type, truncated to a byte budget, secrets removed), git state (branch, recent commits,',
      'uncommitted changes), project metadata and what earlier agents on the issue decided (previous_agent_outputs).',
      'Call it first, before reading or changing code. issue_id and agent_type default to your token.',
      'Use q for free-text hints (identifiers, file names) and refresh="true" after you changed files.',
    ].join(' '),
    permission: ['read_context', 'read_project_context'],
    input: contextParams.extend(contextQuery.shape),
    queryInput: true,
    claimDefaults: { issue_id: 'issue_id', agent_type: 'agent_type' },
    readOnly: true,
    run: async ({ caller, services }, { issue_id, agent_type, ...query }) => (await services.context.get(caller, { issue_id, agent_type }, query)).body,
    summary: (out: ContextResponseBody) =>
      `Context of ${out.issue_id} for ${out.agent_type}: ${out.file_count} files, ${out.total_size_bytes} bytes, ` +
      `~${out.token_estimate} tokens${out.truncated ? ' (truncated)' : ''}${out.cache_hit ? ', from cache' : ''}.`,
  }),
];
