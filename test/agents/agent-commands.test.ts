import { expect } from 'chai';
import { checkAgentConfig, resolveAgentCommand } from '../../src/agents/agent-commands.js';
import { UnknownAgentTypeError } from '../../src/errors/index.js';

const cmd = (command: string) => ({ command, args: [], env: {}, inherit_env: [], timeout_seconds: 60 });

describe('agents/agent-commands', () => {
  it('uses the type entry, else default, else 400 AGT_002', () => {
    expect(resolveAgentCommand({ a: cmd('x'), default: cmd('d') }, 'a').command).to.equal('x');
    expect(resolveAgentCommand({ a: cmd('x'), default: cmd('d') }, 'b').command).to.equal('d');
    const err = (() => {
      try {
        resolveAgentCommand({ a: cmd('x') }, 'b');
      } catch (e) {
        return e as UnknownAgentTypeError;
      }
      return null;
    })();
    expect(err).to.be.instanceOf(UnknownAgentTypeError);
    expect(err?.status).to.equal(400);
    expect(err?.code).to.equal('AGT_002');
  });

  it('does not resolve inherited object keys', () => {
    expect(() => resolveAgentCommand({}, 'constructor')).to.throw(UnknownAgentTypeError);
    expect(() => resolveAgentCommand({}, 'toString')).to.throw(UnknownAgentTypeError);
  });

  it('reports config env overriding documented vars and dangerous inherit_env', () => {
    const problems = checkAgentConfig({
      a: { ...cmd('x'), env: { JWT_TOKEN: 'x', NODE_OPTIONS: '--max-old-space-size=100' }, inherit_env: ['LD_PRELOAD', 'API_KEY'] },
    });
    expect(problems).to.deep.equal([
      'agents.a.env.JWT_TOKEN: overrides a variable the sidecar sets',
      'agents.a.inherit_env: LD_PRELOAD can make the child run other code',
    ]);
  });
});
