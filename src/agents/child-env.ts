import { ValidationError } from '../errors/index.js';
import type { AgentCommand } from '../config/schema.js';

/**
 * The environment of an agent process, built from an allowlist (HAZARDS.md "Child processes":
 * NODE_OPTIONS, LD_PRELOAD, PYTHONSTARTUP, BASH_ENV … in a child's environment run arbitrary
 * code, so nothing is inherited by default).
 *
 * Layers, later wins:
 * 1. base: these names from the sidecar's own environment, when set:
 *    `PATH` (the sidecar's: commands resolve as they do for the operator), `HOME`, `USER`,
 *    `LOGNAME`, `SHELL` (agent CLIs run their tools through it), `LANG`, `LANGUAGE`, `LC_*`,
 *    `TERM`, `TZ`, `TMPDIR`;
 * 2. the agent type's `inherit_env` names from the sidecar's environment (e.g. an API key);
 * 3. the agent type's `env` from the config file (trusted: the operator wrote it);
 * 4. the request's `environment`, after `checkRequestEnvironment` refused dangerous keys;
 * 5. the documented variables (`AGENT_ID` … `PROJECT_ROOT`), which nothing can override.
 */

export const BASE_ENV_NAMES: readonly string[] = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LANGUAGE', 'TERM', 'TZ', 'TMPDIR'];
const BASE_ENV_PREFIXES: readonly string[] = ['LC_'];

/** Variables the sidecar sets for every agent (spec §4 Agents). */
export const RESERVED_ENV_NAMES: readonly string[] = [
  'AGENT_ID',
  'AGENT_TYPE',
  'ISSUE_ID',
  'PROJECT_ID',
  'SIDECAR_URL',
  'JWT_TOKEN',
  'TASK',
  'CONTEXT_FILE',
  'PROJECT_ROOT',
  'CCO_MCP_CONFIG',
  'CCO_AGENT_MARK',
];

/**
 * Names (compared upper-cased) that make a program load or run other code, change where it
 * finds its configuration or executables, or weaken TLS. A request may set none of them.
 */
const DANGEROUS_NAMES = new Set([
  // where executables, libraries and config come from
  'PATH',
  'HOME',
  'SHELL',
  'CDPATH',
  'CLASSPATH',
  'TMPDIR',
  // shells: startup files, prompts and options that evaluate code
  'ENV',
  'BASH_ENV',
  'BASHOPTS',
  'SHELLOPTS',
  'IFS',
  'GLOBIGNORE',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'PROMPT_COMMAND',
  'ZDOTDIR',
  'INPUTRC',
  'HISTFILE',
  // helpers other programs launch
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'BROWSER',
  'LESSOPEN',
  'LESSCLOSE',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'SSH_AUTH_SOCK',
  'VIMINIT',
  'EXINIT',
  'MYVIMRC',
  'EMACSLOADPATH',
  // build tools that run what they are told
  'CC',
  'CXX',
  'CPP',
  'LD',
  'AR',
  'AS',
  'MAKEFLAGS',
  'MFLAGS',
  'GOFLAGS',
  'GOENV',
  'GOTOOLCHAIN',
  'RUSTC',
  'RUSTC_WRAPPER',
  'RUSTC_WORKSPACE_WRAPPER',
  'RUSTFLAGS',
  'RUSTDOCFLAGS',
  // runtimes and libraries with code-loading hooks
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'PERLDB_OPTS',
  'RUBYOPT',
  'RUBYLIB',
  'GEM_HOME',
  'GEM_PATH',
  'TCLLIBPATH',
  'TCL_LIBRARY',
  'R_PROFILE',
  'R_PROFILE_USER',
  'R_ENVIRON',
  'R_ENVIRON_USER',
  'R_LIBS',
  'R_LIBS_USER',
  'OPENSSL_CONF',
  'OPENSSL_ENGINES',
  'OPENSSL_MODULES',
  'SSLKEYLOGFILE',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'ALL_PROXY',
  'NO_PROXY',
  'GCONV_PATH',
  'LOCPATH',
  'NLSPATH',
  'HOSTALIASES',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  'GLIBC_TUNABLES',
  'CURL_HOME',
  'WGETRC',
  'GNUPGHOME',
  'KRB5_CONFIG',
  'KRB5CCNAME',
  'PKG_CONFIG_PATH',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
]);

const DANGEROUS_PREFIXES: readonly string[] = [
  'LD_',
  'DYLD_',
  'NODE_',
  'NPM_CONFIG_',
  'YARN_',
  'PNPM_',
  'BUN_',
  'DENO_',
  'ELECTRON_',
  'PYTHON',
  'PIP_',
  'UV_',
  'CONDA',
  'VIRTUAL_ENV',
  'PERL',
  'RUBY',
  'BUNDLE_',
  'JAVA_',
  '_JAVA_',
  'JDK_',
  'MAVEN_',
  'GRADLE_',
  'DOTNET_',
  'CORECLR_',
  'COR_',
  'COMPLUS_',
  'LUA_',
  'MALLOC_',
  'GLIBC_',
  'BASH_FUNC_',
  'XDG_',
  'CARGO_',
  'GIT_',
  'SSH_',
  'CCO_',
];

/** Identity variables git only records; every other `GIT_*` can run code or redirect git. */
const SAFE_GIT_NAMES = new Set(['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_AUTHOR_DATE', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'GIT_COMMITTER_DATE']);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
export const MAX_REQUEST_ENV_ENTRIES = 64;
export const MAX_ENV_VALUE_BYTES = 32 * 1024;

/** True for the documented variables the sidecar sets for every agent. */
export function isReservedEnvKey(key: string): boolean {
  const up = key.toUpperCase();
  return RESERVED_ENV_NAMES.includes(up);
}

/** True when a request must not set this variable (see DANGEROUS_NAMES / DANGEROUS_PREFIXES). */
export function isDangerousEnvKey(key: string): boolean {
  const up = key.toUpperCase();
  if (SAFE_GIT_NAMES.has(up)) return false;
  return DANGEROUS_NAMES.has(up) || DANGEROUS_PREFIXES.some((p) => up.startsWith(p));
}

/**
 * Refuse a request `environment` that sets anything dangerous or reserved (400 REQ_001 listing
 * every offending key under `details.issues`). Refusing, rather than silently dropping, tells the
 * caller its agent would not have run with what it asked for.
 *
 * @example checkRequestEnvironment({ FOO: 'bar' }) // ok
 * @example checkRequestEnvironment({ NODE_OPTIONS: '--require /tmp/x.js' }) // throws REQ_001
 */
export function checkRequestEnvironment(environment: Readonly<Record<string, unknown>> | undefined): void {
  if (!environment) return;
  const issues: Array<{ path: string; message: string }> = [];
  const entries = Object.entries(environment);
  if (entries.length > MAX_REQUEST_ENV_ENTRIES) {
    issues.push({ path: 'body.environment', message: `at most ${MAX_REQUEST_ENV_ENTRIES} variables` });
  }
  for (const [key, value] of entries) {
    const where = `body.environment.${key}`;
    if (!ENV_NAME.test(key)) issues.push({ path: where, message: 'not a valid variable name ([A-Za-z_][A-Za-z0-9_]*)' });
    else if (isReservedEnvKey(key)) issues.push({ path: where, message: 'set by the sidecar; cannot be overridden' });
    else if (isDangerousEnvKey(key)) issues.push({ path: where, message: 'refused: this variable can make the agent run other code' });
    if (typeof value !== 'string') issues.push({ path: where, message: 'must be a string' });
    else if (value.includes('\0')) issues.push({ path: where, message: 'must not contain a NUL character' });
    else if (Buffer.byteLength(value) > MAX_ENV_VALUE_BYTES) issues.push({ path: where, message: `longer than ${MAX_ENV_VALUE_BYTES} bytes` });
  }
  if (issues.length > 0) {
    throw new ValidationError(`Refused environment: ${issues.map((i) => i.path.slice('body.environment.'.length) || 'environment').join(', ')}`, issues);
  }
}

/** The documented variables of one agent. */
export interface AgentEnvVars {
  AGENT_ID: string;
  AGENT_TYPE: string;
  ISSUE_ID: string;
  PROJECT_ID: string;
  SIDECAR_URL: string;
  JWT_TOKEN: string;
  TASK: string;
  CONTEXT_FILE: string;
  PROJECT_ROOT: string;
  /** An `mcpServers` JSON for this agent (0600, removed after exit), spec §7. */
  CCO_MCP_CONFIG: string;
  /** The agent id again, as the marker every descendant inherits (process-marker.ts). */
  CCO_AGENT_MARK: string;
}

/** Assemble the child's environment (layers in the module comment). Call `checkRequestEnvironment` first. */
export function buildChildEnv(
  parentEnv: Readonly<Record<string, string>>,
  command: Pick<AgentCommand, 'env' | 'inherit_env'>,
  requestEnv: Readonly<Record<string, string>> | undefined,
  vars: AgentEnvVars,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(parentEnv)) {
    if (BASE_ENV_NAMES.includes(key) || BASE_ENV_PREFIXES.some((p) => key.startsWith(p))) env[key] = value;
  }
  for (const key of command.inherit_env) {
    const value = parentEnv[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, command.env, requestEnv ?? {});
  Object.assign(env, vars);
  return env;
}
