/**
 * The logger every component takes: structural, so pino's `Logger` fits and components do not
 * depend on a logging library. One shape for the whole codebase (bus, results, agents, context).
 *
 * @example const bus = await createEventBus({ config, logger: logger.child({ module: 'events' }) });
 */
export interface ComponentLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Discards everything: the default where a logger is optional. */
export const silentLogger: ComponentLogger = { debug() {}, info() {}, warn() {}, error() {} };
