/**
 * What a client may pass for a query whose parsed (server-side) shape is `T`: every field
 * optional, and `'true' | 'false'` flags also as booleans (the client sends `String(value)`).
 *
 * @example type Q = WireQuery<{ latest?: 'true' | 'false'; limit: number }> // { latest?: boolean | 'true' | 'false'; limit?: number }
 */
export type WireQuery<T> = {
  [K in keyof T]?: Exclude<T[K], undefined> extends 'true' | 'false' | '1' | '0' ? boolean | Exclude<T[K], undefined> : Exclude<T[K], undefined>;
};
