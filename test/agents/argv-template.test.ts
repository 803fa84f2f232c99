import { expect } from 'chai';
import { substituteArgs, substituteEnv } from '../../src/agents/argv-template.js';

const V = {
  task: `fix "it"; rm -rf / && echo $HOME {issue_id}`,
  issue_id: 'ISSUE-1',
  agent_type: 'qa-engineer',
  agent_id: 'agt-1',
  context_file: '/s/c.json',
  mcp_config: '/s/mcp.json',
  mcp_url: 'http://127.0.0.1:3001/mcp',
};

describe('agents/placeholders', () => {
  it('substitutes each placeholder as one whole argv element, never split', () => {
    expect(substituteArgs(['run', '{task}', '--issue', '{issue_id}', '{agent_type}', '{context_file}', '{agent_id}'], V)).to.deep.equal([
      'run',
      V.task,
      '--issue',
      'ISSUE-1',
      'qa-engineer',
      '/s/c.json',
      'agt-1',
    ]);
  });

  it('keeps an element whole when the placeholder is inside it, in a single pass', () => {
    expect(substituteArgs(['--prompt={task}', '{issue_id}-{agent_type}'], V)).to.deep.equal([`--prompt=${V.task}`, 'ISSUE-1-qa-engineer']);
  });

  it('leaves unknown braces alone', () => {
    expect(substituteArgs(['{"a":1}', '{unknown}'], V)).to.deep.equal(['{"a":1}', '{unknown}']);
  });

  it('substitutes the MCP placeholders, in args and in configured env values (never in names)', () => {
    expect(substituteArgs(['--mcp-config', '{mcp_config}', 'mcp_servers.cco.url="{mcp_url}"'], V)).to.deep.equal([
      '--mcp-config',
      '/s/mcp.json',
      'mcp_servers.cco.url="http://127.0.0.1:3001/mcp"',
    ]);
    expect(substituteEnv({ GEMINI_CLI_SYSTEM_SETTINGS_PATH: '{mcp_config}', '{task}': 'x', PLAIN: 'v' }, V)).to.deep.equal({
      GEMINI_CLI_SYSTEM_SETTINGS_PATH: '/s/mcp.json',
      '{task}': 'x',
      PLAIN: 'v',
    });
  });
});
