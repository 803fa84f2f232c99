import fc from 'fast-check';
import { hostileValue } from './hostile.js';

type JsonSchema = Record<string, any>;

/**
 * A fast-check arbitrary of values matching a JSON Schema (the subset zod's toJSONSchema emits),
 * where every leaf is replaced by a hostile value one time in `1 + validWeight`. So runs mix
 * valid input (reaching handlers) with input that must be refused cleanly.
 */
export function fromSchema(schema: JsonSchema | undefined, validWeight = 4, depth = 0): fc.Arbitrary<unknown> {
  const valid = validFromSchema(schema ?? {}, validWeight, depth);
  return fc.oneof({ weight: validWeight, arbitrary: valid }, { weight: 1, arbitrary: hostileValue() });
}

function validFromSchema(schema: JsonSchema, validWeight: number, depth: number): fc.Arbitrary<unknown> {
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (variants?.length) return fc.oneof(...variants.map((v) => validFromSchema(v, validWeight, depth)));
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string': {
      const maxLength = Math.min(schema.maxLength ?? 40, 200);
      const minLength = Math.min(schema.minLength ?? 0, maxLength);
      if (schema.format === 'date-time') return fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString());
      if (typeof schema.pattern === 'string') {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= minLength && s.length <= maxLength);
      }
      return fc.string({ minLength, maxLength, unit: 'grapheme' });
    }
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1e6, -1e9), max: Math.min(schema.maximum ?? 1e6, 1e9) });
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      if (depth > 4) return fc.constant([]);
      return fc.array(fromSchema(schema.items, validWeight, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      if (depth > 4) return fc.constant({});
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, s] of Object.entries(props)) record[key] = fromSchema(s, validWeight, depth + 1);
      const known = fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
      if (schema.additionalProperties === false || Object.keys(props).length > 0) return known;
      return fc.dictionary(fc.string({ maxLength: 12 }), fromSchema(schema.additionalProperties, validWeight, depth + 1), { maxKeys: 4 });
    }
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}
