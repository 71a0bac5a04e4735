import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errorCodes } from 'fastify';
import type { Slicer } from '../../lookup/slice-scheduler.ts';

/** Most indicators one batch may carry. */
export const MAX_BATCH = 1000;

interface Issue {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message: string;
  params: Record<string, unknown>;
}

type ShapeValidator = ((body: unknown) => boolean) & { errors: Issue[] | null };

/** Longest `kind` and `value` of a batch item, as the body schema documents them. */
const MAX_KIND = 32;
const MAX_VALUE = 16384;

// The documented shape of one item: an object with string `kind` and `value` within bounds.
// This runs for every item of a batch: nothing is allocated unless the item is refused.
function itemShapeIssue(item: unknown, i: number): Issue | null {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { instancePath: `/indicators/${i}`, schemaPath: '#/properties/indicators/items/type', keyword: 'type', message: 'must be object', params: { type: 'object' } };
  }
  const { kind, value } = item as { kind?: unknown; value?: unknown };
  return fieldIssue(kind, i, 'kind', MAX_KIND) ?? fieldIssue(value, i, 'value', MAX_VALUE);
}

function fieldIssue(field: unknown, i: number, name: string, max: number): Issue | null {
  if (field === undefined) return { instancePath: `/indicators/${i}`, schemaPath: '#/properties/indicators/items/required', keyword: 'required', message: `must have required property '${name}'`, params: { missingProperty: name } };
  if (typeof field !== 'string') return { instancePath: `/indicators/${i}/${name}`, schemaPath: `#/properties/indicators/items/properties/${name}/type`, keyword: 'type', message: 'must be string', params: { type: 'string' } };
  if (field.length > max && [...field].length > max) return { instancePath: `/indicators/${i}/${name}`, schemaPath: `#/properties/indicators/items/properties/${name}/maxLength`, keyword: 'maxLength', message: `must NOT have more than ${max} characters`, params: { limit: max } };
  return null;
}

/**
 * Validates the batch body's shape: an object whose `indicators` is an array of at most 1000
 * objects with string `kind` and `value`. A body of another shape is refused whole, as the
 * document says; what an item's strings mean (an unknown kind, a value that is no indicator)
 * is checked while items are prepared, so one bad indicator is answered as invalid while the
 * others are still looked up. Checked by hand: schema validation of every item cost as much
 * as looking them all up. The route keeps the full schema for its documentation; this stands
 * in for the compiled validator.
 */
export function batchShapeValidator(): ShapeValidator {
  const validate = ((body: unknown): boolean => {
    const fail = (issue: Issue): boolean => {
      validate.errors = [issue];
      return false;
    };
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return fail({ instancePath: '', schemaPath: '#/type', keyword: 'type', message: 'must be object', params: { type: 'object' } });
    }
    const indicators = (body as { indicators?: unknown }).indicators;
    if (indicators === undefined) {
      return fail({ instancePath: '', schemaPath: '#/required', keyword: 'required', message: "must have required property 'indicators'", params: { missingProperty: 'indicators' } });
    }
    if (!Array.isArray(indicators)) {
      return fail({ instancePath: '/indicators', schemaPath: '#/properties/indicators/type', keyword: 'type', message: 'must be array', params: { type: 'array' } });
    }
    if (indicators.length > MAX_BATCH) {
      return fail({ instancePath: '/indicators', schemaPath: '#/properties/indicators/maxItems', keyword: 'maxItems', message: `must NOT have more than ${MAX_BATCH} items`, params: { limit: MAX_BATCH } });
    }
    for (let i = 0; i < indicators.length; i++) {
      const issue = itemShapeIssue(indicators[i], i);
      if (issue !== null) return fail(issue);
    }
    validate.errors = null;
    return true;
  }) as ShapeValidator;
  validate.errors = null;
  return validate;
}

/**
 * Validates an object of string fields with length bounds, the params and query strings of the
 * single lookups: the same checks as the compiled schema validator, without its per-request
 * overhead (about half a microsecond, a few per cent of a lookup). The kind's pattern is checked
 * by the route, which answers a value outside it as the batch answers such an item.
 */
export function stringFieldsValidator(schema: { properties: Record<string, { minLength?: number; maxLength?: number }>; required?: readonly string[] }): ShapeValidator {
  const fields = Object.entries(schema.properties).map(([name, s]) => ({ name, min: s.minLength ?? 0, max: s.maxLength ?? Infinity, required: schema.required?.includes(name) ?? false }));
  const validate = ((data: unknown): boolean => {
    const fail = (issue: Issue): boolean => {
      validate.errors = [issue];
      return false;
    };
    const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
    for (const f of fields) {
      const value = record[f.name];
      if (value === undefined) {
        if (f.required) return fail({ instancePath: '', schemaPath: '#/required', keyword: 'required', message: `must have required property '${f.name}'`, params: { missingProperty: f.name } });
        continue;
      }
      if (typeof value !== 'string') return fail({ instancePath: `/${f.name}`, schemaPath: `#/properties/${f.name}/type`, keyword: 'type', message: 'must be string', params: { type: 'string' } });
      // JSON Schema counts code points; UTF-16 length is at least that, so count only when over.
      if (value.length > f.max && [...value].length > f.max) return fail({ instancePath: `/${f.name}`, schemaPath: `#/properties/${f.name}/maxLength`, keyword: 'maxLength', message: `must NOT have more than ${f.max} characters`, params: { limit: f.max } });
      if (value.length < f.min) return fail({ instancePath: `/${f.name}`, schemaPath: `#/properties/${f.name}/minLength`, keyword: 'minLength', message: `must NOT have fewer than ${f.min} characters`, params: { limit: f.min } });
    }
    validate.errors = null;
    return true;
  }) as ShapeValidator;
  validate.errors = null;
  return validate;
}

/**
 * JSON bodies for the routes of this scope, parsed without the prototype-poisoning scan: that
 * scan runs two regular expressions over every body (80 KB for a full batch), and these
 * handlers only read named fields of the parsed items, never merge them into other objects.
 *
 * The parse is the first step of the request's slicer: a body waiting behind other batches
 * waits as its text, one string, not as a thousand parsed objects that each garbage collection
 * copies until the batch's turn (parsed on arrival, batches cost about 17 % more CPU each).
 */
export function plainJsonParser(fastify: FastifyInstance, slicerOf: (request: FastifyRequest) => Slicer): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
      return;
    }
    let parsed: unknown;
    let valid = true;
    const finish = (): void => {
      if (valid) done(null, parsed);
      else done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
    };
    const ran = slicerOf(request)(1, () => {
      try {
        parsed = JSON.parse(text);
      } catch {
        valid = false;
      }
    });
    if (ran === undefined) finish();
    else ran.then(finish, (err: unknown) => done(err as Error, undefined));
  });
}
