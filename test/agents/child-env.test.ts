import { expect } from 'chai';
import { buildChildEnv, checkRequestEnvironment, isDangerousEnvKey } from '../../src/agents/child-env.js';
import { ValidationError } from '../../src/errors/index.js';

const VARS = {
  AGENT_ID: 'agt-1',
  AGENT_TYPE: 'python-specialist',
  ISSUE_ID: 'ISSUE-1',
  PROJECT_ID: 'proj',
  SIDECAR_URL: 'http://127.0.0.1:3001/api',
  JWT_TOKEN: 'tok',
  TASK: 'do it',
  CONTEXT_FILE: '/s/agents/agt-1/context.json',
  PROJECT_ROOT: '/p',
  CCO_MCP_CONFIG: '/s/agents/agt-1/mcp.json',
  CCO_AGENT_MARK: 'agt-1',
};

function refused(env: Record<string, unknown>): ValidationError {
  try {
    checkRequestEnvironment(env);
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a refusal');
}

describe('agents/child-env', () => {
  it('refuses every code-loading variable with 400 REQ_001 listing each key', () => {
    const keys = [
      'LD_PRELOAD',
      'LD_LIBRARY_PATH',
      'DYLD_INSERT_LIBRARIES',
      'NODE_OPTIONS',
      'NODE_PATH',
      'PATH',
      'PYTHONPATH',
      'PYTHONSTARTUP',
      'PYTHONHOME',
      'BASH_ENV',
      'ENV',
      'GIT_SSH_COMMAND',
      'GIT_CONFIG_COUNT',
      'GIT_EXEC_PATH',
      'PERL5OPT',
      'RUBYOPT',
      'JAVA_TOOL_OPTIONS',
      '_JAVA_OPTIONS',
      'npm_config_script_shell',
      'BASH_FUNC_ls%%',
      'GLIBC_TUNABLES',
      'HOME',
      'SHELL',
      'PROMPT_COMMAND',
      'LESSOPEN',
      'HTTPS_PROXY',
      'OPENSSL_CONF',
      'ld_preload',
    ];
    const err = refused(Object.fromEntries(keys.map((k) => [k, 'x'])));
    expect(err.status).to.equal(400);
    expect(err.code).to.equal('REQ_001');
    const paths = (err.details.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).to.have.members(keys.map((k) => `body.environment.${k}`));
  });

  it('refuses overriding the documented variables', () => {
    const err = refused({ JWT_TOKEN: 'forged', SIDECAR_URL: 'http://evil/api', AGENT_ID: 'x' });
    expect((err.details.issues as unknown[]).length).to.equal(3);
  });

  it('refuses NUL bytes, bad names, non-strings and too many entries', () => {
    expect((refused({ OK: 'a\0b' }).details.issues as unknown[]).length).to.equal(1);
    expect((refused({ '1BAD': 'x' }).details.issues as unknown[]).length).to.equal(1);
    expect((refused({ NUM: 5 }).details.issues as unknown[]).length).to.equal(1);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`V${i}`, 'x']));
    expect(refused(many).details.issues).to.deep.include({ path: 'body.environment', message: 'at most 64 variables' });
  });

  it('accepts ordinary variables and git identity', () => {
    expect(() => checkRequestEnvironment({ FEATURE_FLAG: '1', LOG_LEVEL: 'debug', GIT_AUTHOR_NAME: 'Bot' })).not.to.throw();
    expect(isDangerousEnvKey('GIT_AUTHOR_EMAIL')).to.equal(false);
    expect(isDangerousEnvKey('GIT_DIR')).to.equal(true);
  });

  it('builds the env from the allowlist, inherit_env, config env, request env and the documented vars', () => {
    const parent = { PATH: '/usr/bin', HOME: '/h', LC_ALL: 'C', LANG: 'C.UTF-8', SECRET: 's', NODE_OPTIONS: '--require x', API_KEY: 'k' };
    const env = buildChildEnv(parent, { env: { MODEL: 'm', HOME: '/agent-home' }, inherit_env: ['API_KEY', 'MISSING'] }, { FLAG: '1' }, VARS);
    expect(env).to.deep.equal({
      PATH: '/usr/bin',
      HOME: '/agent-home',
      LC_ALL: 'C',
      LANG: 'C.UTF-8',
      API_KEY: 'k',
      MODEL: 'm',
      FLAG: '1',
      ...VARS,
    });
  });
});
