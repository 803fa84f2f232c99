import { z } from 'zod';
import { issueIdParams } from '../../contract/issues.js';
import type { IssueRecord } from '../../issues/issue-record.js';
import { defineTool } from '../tool-definition.js';

/** `get_issue` mirrors `GET /api/issues/:issue_id` (spec §6, §7). */
export const issuesTools = [
  defineTool({
    name: 'get_issue',
    title: 'Get the issue you work on',
    description: [
      'Returns the issue as the team registered it: title, description, labels, the files or globs it names,',
      'acceptance criteria, and its revision (it grows on every change; an issue_updated event announces each).',
      'Read it before you plan: it is what your work must achieve. issue_id defaults to your token.',
    ].join(' '),
    permission: ['read_context', 'read_project_context'],
    input: z.strictObject({ issue_id: issueIdParams.shape.issue_id }),
    claimDefaults: { issue_id: 'issue_id' },
    readOnly: true,
    run: ({ caller, services }, { issue_id }) => services.issues.get(caller, issue_id),
    summary: (out: IssueRecord) =>
      `${out.issue_id} (revision ${out.revision}): ${out.title}` +
      `${out.labels.length ? ` [${out.labels.join(', ')}]` : ''}${out.files.length ? `; names ${out.files.length} file(s)` : ''}.`,
  }),
];
