/** The one logging call services make: a warning that does not change the answer (pino-compatible). */
export interface ServiceLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}
