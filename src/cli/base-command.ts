import { Command, Flags, type Interfaces } from '@oclif/core';
import { SidecarClient, SidecarError, SidecarUnavailableError } from '../client/sidecar-client.js';
import { clientSettings, type ClientSettings } from '../config/client-settings.js';
import { operatorToken, sidecarUrl } from './operator-token.js';

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>;
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

/** Exit codes shared by every command. */
export const EXIT = { failure: 1, unavailable: 3 } as const;

/**
 * Shared flags (`--url`, `--token`, `--storage-path`, `--json`) and error handling for every
 * `cco orchestration` command. Commands stay thin: parse flags, call the client, print a
 * human view unless `--json`, return data (the `--json` output).
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;

  static override baseFlags = {
    url: Flags.string({ description: 'Sidecar URL [env: CCO_SIDECAR_URL] (default: the running sidecar, else http://127.0.0.1:3001)', helpGroup: 'GLOBAL' }),
    token: Flags.string({ description: 'Bearer token [env: JWT_TOKEN] (default: an operator token signed with the local key)', helpGroup: 'GLOBAL' }),
    'storage-path': Flags.string({ description: 'Storage dir [env: CCO_SIDECAR_STORAGE] (default: ~/.cco/orchestration)', helpGroup: 'GLOBAL' }),
  };

  protected flags!: CommandFlags<T>;
  protected args!: CommandArgs<T>;

  override async init(): Promise<void> {
    await super.init();
    const { args, flags } = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (super.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      args: this.ctor.args,
      strict: this.ctor.strict,
    });
    this.flags = flags as CommandFlags<T>;
    this.args = args as CommandArgs<T>;
  }

  protected settings(): ClientSettings {
    return clientSettings(this.flags);
  }

  /** A client for the sidecar with the caller's token, or the operator's locally signed one. */
  protected async client(options: { timeoutMs?: number; anonymous?: boolean } = {}): Promise<SidecarClient> {
    const settings = this.settings();
    const { url } = await sidecarUrl(settings);
    const token = options.anonymous ? undefined : (settings.token ?? (await operatorToken(settings)));
    return new SidecarClient({ url, ...(token ? { token } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
  }

  /** Human output only; with --json the return value is printed instead. */
  protected say(message: string): void {
    if (!this.jsonEnabled()) this.log(message);
  }

  protected override async catch(err: Error & { exitCode?: number }): Promise<unknown> {
    if (err instanceof SidecarUnavailableError) this.error(err.message, { exit: EXIT.unavailable });
    if (err instanceof SidecarError) {
      const details = err.body.details && Object.keys(err.body.details).length > 0 ? `\n${JSON.stringify(err.body.details)}` : '';
      this.error(`${err.body.message} [${err.body.code}]${details}`, { exit: EXIT.failure, code: err.body.code });
    }
    return super.catch(err);
  }
}
