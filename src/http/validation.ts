/**
 * Fastify validator compiler over TypeBox: compiled checks, URL parameters
 * converted strictly (no "1.5" → 1), and failures turned into ApiErrors that
 * name the field and carry the code the schema declares (`x-error-code`).
 */
import type { FastifySchema, FastifySchemaCompiler } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import { ApiError, type ErrorCode } from '../errors/index.js';
import { ERROR_CODE_KEY } from '../schemas/agent-view.js';
import { describeErrors, fieldName, type SchemaError } from '../schemas/describe.js';

type JsonSchema = {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  [ERROR_CODE_KEY]?: ErrorCode;
};

const INTEGER = /^-?(0|[1-9][0-9]{0,15})$/;
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function typesOf(s: JsonSchema): string[] {
  if (s.type) return [s.type];
  return (s.anyOf ?? []).flatMap(typesOf);
}

/** Converts URL parameter strings to the numbers/booleans the schema asks for, exactly. */
function convertParams(schema: JsonSchema, data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !schema.properties) return data;
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const [k, prop] of Object.entries(schema.properties)) {
    const v = out[k];
    if (typeof v !== 'string') continue;
    const types = typesOf(prop);
    if (types.includes('string')) continue;
    if (types.includes('integer') && INTEGER.test(v)) out[k] = Number(v);
    else if (types.includes('number') && NUMBER.test(v)) out[k] = Number(v);
    else if (types.includes('boolean') && (v === 'true' || v === 'false')) out[k] = v === 'true';
  }
  return out;
}

/** The error code declared by the deepest schema on the failing path. */
function codeFor(schema: JsonSchema, path: string[]): ErrorCode | undefined {
  let code = schema[ERROR_CODE_KEY];
  let nodes: JsonSchema[] = [schema];
  for (const seg of path) {
    const next: JsonSchema[] = [];
    for (const n of nodes.flatMap((x) => [x, ...(x.anyOf ?? [])])) {
      if (n.properties?.[seg]) next.push(n.properties[seg]);
      if (n.items && /^[0-9]+$/.test(seg)) next.push(n.items);
    }
    if (next.length === 0) break;
    nodes = next;
    for (const n of nodes.flatMap((x) => [x, ...(x.anyOf ?? [])])) code = n[ERROR_CODE_KEY] ?? code;
  }
  return code;
}

/** "must be an integer from 1 to 1000" for a bounded integer URL parameter (whatever was wrong with it). */
function rangeMessage(schema: JsonSchema, path: string[]): string | undefined {
  if (path.length !== 1) return undefined;
  const prop = schema.properties?.[path[0]!];
  if (prop?.type !== 'integer' || prop.minimum === undefined || prop.maximum === undefined) return undefined;
  return `must be an integer from ${prop.minimum} to ${prop.maximum}`;
}

export const validatorCompiler: FastifySchemaCompiler<FastifySchema> = ({ schema, httpPart }) => {
  const s = schema as TSchema & JsonSchema;
  const check = Compile(s);
  const isUrlPart = httpPart === 'querystring' || httpPart === 'params' || httpPart === 'headers';
  return (data: unknown) => {
    let value = isUrlPart ? convertParams(s, data) : data;
    if (httpPart === 'body' && value === undefined) value = null;
    if (check.Check(value)) {
      return { value: isUrlPart ? Value.Default(s, value) : value };
    }
    const errors = [...check.Errors(value)] as SchemaError[];
    const { path, message } = describeErrors(errors);
    const segs = path.split('/').slice(1);
    const code = codeFor(s, segs) ?? 'VALIDATION_FAILED';
    const field = path === '' ? (httpPart ?? 'request') : fieldName('', path);
    return { error: new ApiError(code, `${field} ${isUrlPart ? (rangeMessage(s, segs) ?? message) : message}`, field) };
  };
};
