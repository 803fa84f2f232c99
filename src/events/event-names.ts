/**
 * Event types and topics: path-safe (they travel in URL path segments and query strings),
 * starting with a letter or digit. `*` is not a name: it means "every type" in waits.
 */
export const EVENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isEventName(value: unknown): value is string {
  return typeof value === 'string' && EVENT_NAME_PATTERN.test(value);
}
