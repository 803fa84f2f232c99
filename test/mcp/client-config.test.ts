import { expect } from 'chai';
import { agentMcpConfig, mergeDocument, serverEntry } from '../../src/mcp/client-config.js';

describe('mcp/client-config', () => {
  const target = { baseUrl: 'http://127.0.0.1:3001', token: 'a.b.c', transport: 'http' as const };

  it("writes each client's own HTTP entry", () => {
    expect(serverEntry('claude', target)).to.deep.equal({ type: 'http', url: 'http://127.0.0.1:3001/mcp', headers: { Authorization: 'Bearer a.b.c' } });
    expect(serverEntry('gemini', target)).to.deep.equal({ httpUrl: 'http://127.0.0.1:3001/mcp', headers: { Authorization: 'Bearer a.b.c' } });
    expect(serverEntry('cursor', target)).to.deep.equal({ url: 'http://127.0.0.1:3001/mcp', headers: { Authorization: 'Bearer a.b.c' } });
    // Codex refuses inline bearer tokens: the entry names the variable, never the token.
    expect(serverEntry('codex', target)).to.deep.equal({ url: 'http://127.0.0.1:3001/mcp', bearer_token_env_var: 'CCO_MCP_TOKEN' });
  });

  it('gives a gemini agent its system settings: the server over httpUrl and no folder-trust prompt', () => {
    expect(JSON.parse(agentMcpConfig('gemini', 'http://h:1', 't.o.k'))).to.deep.equal({
      mcpServers: { cco: { httpUrl: 'http://h:1/mcp', headers: { Authorization: 'Bearer t.o.k' } } },
      security: { folderTrust: { enabled: false } },
    });
    expect(JSON.parse(agentMcpConfig('json', 'http://h:1', 't.o.k'))).to.deep.equal({
      mcpServers: { cco: { type: 'http', url: 'http://h:1/mcp', headers: { Authorization: 'Bearer t.o.k' } } },
    });
  });

  it('merges without dropping other servers, and refuses a document whose servers are not a table', () => {
    const merged = mergeDocument('claude', { mcpServers: { other: { url: 'x' }, cco: { url: 'old' } }, keep: true }, 'cco', { url: 'new' });
    expect(merged).to.deep.equal({ mcpServers: { other: { url: 'x' }, cco: { url: 'new' } }, keep: true });
    expect(() => mergeDocument('claude', { mcpServers: [] }, 'cco', {})).to.throw(/not a table/);
    expect(mergeDocument('codex', {}, 'cco', { url: 'u' })).to.deep.equal({ mcp_servers: { cco: { url: 'u' } } });
  });
});
