import { AjvCompiler } from '@fastify/ajv-compiler';
import type { FastifyServerOptions } from 'fastify';

type BuildValidator = NonNullable<NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildValidator']>;

const pool = AjvCompiler();

/**
 * Schema validation as Fastify does it, except that a JSON request body is taken as sent: a
 * property its schema does not allow is refused instead of dropped (a misspelt `verdcit` is a
 * 400 that names it, not a request quietly read without it), and a value of the wrong type is
 * refused instead of coerced (`false` is no name). Query strings and paths, which are text,
 * keep Fastify's coercion, and an unknown query parameter (a cache-buster) is ignored.
 */
export const buildValidator: BuildValidator = (externalSchemas, ajvOptions) => {
  type PoolOptions = Parameters<typeof pool>[1];
  const options = (ajvOptions ?? { customOptions: {} }) as { customOptions?: Record<string, unknown> };
  const lenient = pool(externalSchemas, options as PoolOptions);
  const strict = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, removeAdditional: false, coerceTypes: false } } as PoolOptions);
  return (route) => (route.httpPart === 'body' ? strict : lenient)(route);
};
