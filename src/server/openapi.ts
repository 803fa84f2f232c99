import { z } from 'zod';
import type { RouteCatalog } from './route-spec.js';
import { errorBodySchema } from '../contract/errors.js';

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

const errorSchema: JsonSchema = toSchema(errorBodySchema, 'output');

/** `:name` → `{name}` for OpenAPI paths. */
function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Query or path parameters from a zod object schema. */
function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = toSchema(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: s }));
}

/**
 * The OpenAPI 3.1 document of every route registered through `defineRoute`, generated from the
 * same zod schemas that validate requests.
 */
export function buildOpenApi(catalog: RouteCatalog, version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const spec of catalog.specs) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, r] of Object.entries(spec.responses)) {
      const isError = Number(status) >= 400;
      const schema = r.schema ? toSchema(r.schema, 'output') : isError ? { $ref: '#/components/schemas/Error' } : undefined;
      responses[status] = { description: r.description, ...(schema ? { content: { [r.contentType ?? 'application/json']: { schema } } } : {}) };
    }
    const defaults: Record<string, string> =
      spec.auth === 'public' ? {} : { 401: 'Missing, invalid or expired token', 403: 'Permission or scope missing', 429: 'Rate limited' };
    if (spec.params || spec.query || spec.body) defaults[400] = 'Validation failed (details.issues lists field paths)';
    if (spec.body) Object.assign(defaults, { 413: 'Body too large', 415: 'Body is not JSON' });
    for (const [status, description] of Object.entries(defaults)) {
      responses[status] ??= { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const operation: JsonSchema = {
      summary: spec.summary,
      tags: [spec.tag],
      operationId: `${spec.method}${spec.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query, 'query')],
      responses,
      ...(spec.auth === 'public' ? { security: [] } : {}),
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(spec.body, 'input') } } } } : {}),
    };
    (paths[openApiPath(spec.path)] ??= {})[spec.method] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'cco orchestration sidecar',
      version,
      description: 'Context injection, event bus, result storage and agent spawning for teams of AI coding agents.',
    },
    servers: [{ url: 'http://127.0.0.1:3001' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: errorSchema },
    },
  };
}
