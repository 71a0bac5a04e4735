import { readFileSync } from 'node:fs';
import type { Static, TObject, TProperties, TSchema } from 'typebox';
import Value from 'typebox/value';
import { ConfigError, type ConfigProblem } from './config-error.ts';

export interface LoadConfigOptions<P extends TProperties> {
  /** Environment to read; `process.env` when absent. */
  env?: Record<string, string | undefined>;
  /**
   * A JSON file with the same variable names; values from the environment win over it.
   * When absent, `REPUTE_CONFIG_FILE` in the environment names one.
   */
  file?: string;
  /** Cross-field checks run after every field is valid. */
  refine?: (config: Static<TObject<P>>) => ConfigProblem[];
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ variable: 'REPUTE_CONFIG_FILE', reason: `cannot read ${path}: ${(err as Error).message}` }]);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError([{ variable: 'REPUTE_CONFIG_FILE', reason: `${path} is not a JSON object of variables: ${(err as Error).message}` }]);
  }
}

function describeExpected(schema: TSchema | undefined): string {
  if (schema === undefined) return '';
  const s = schema as Record<string, unknown>;
  if (Array.isArray(s['anyOf'])) {
    const options = (s['anyOf'] as Record<string, unknown>[]).map((o) => JSON.stringify(o['const'])).filter((o) => o !== undefined);
    if (options.length > 0) return ` one of ${options.join(', ')}`;
  }
  return '';
}

/**
 * Parses the configuration once: file, then environment, coerced to the schema's types,
 * defaults applied, and every invalid or missing variable reported in one ConfigError.
 */
export function loadConfig<P extends TProperties>(properties: P, options: LoadConfigOptions<P> = {}): Static<TObject<P>> {
  const env = options.env ?? process.env;
    const filePath = options.file ?? env['REPUTE_CONFIG_FILE'];
  const fromFile = filePath !== undefined && filePath !== '' ? readFile(filePath) : {};

  const raw: Record<string, unknown> = {};
  for (const name of Object.keys(properties)) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') raw[name] = fromEnv;
    else if (name in fromFile) raw[name] = fromFile[name];
  }
  const problems: ConfigProblem[] = [];
  for (const name of Object.keys(fromFile)) {
    if (!(name in properties)) problems.push({ variable: name, reason: `unknown variable in ${filePath}` });
  }

  // Each variable is checked on its own: a whole-object validation stops after a few errors,
  // and an operator should see every problem in one pass.
  const converted: Record<string, unknown> = {};
  for (const [variable, propertySchema] of Object.entries(properties)) {
    const value = raw[variable] === undefined ? Value.Default(propertySchema, undefined) : Value.Convert(propertySchema, raw[variable]);
    if (value === undefined) {
      problems.push({ variable, reason: 'is required and not set' });
      continue;
    }
    converted[variable] = value;
    const first = Value.Errors(propertySchema, value)[0];
    if (first === undefined) continue;
    const shown = (propertySchema as { secret?: boolean }).secret === true ? '(secret)' : JSON.stringify(value);
    const message = Array.isArray((propertySchema as Record<string, unknown>)['anyOf']) ? 'must be' : first.message;
    problems.push({ variable, reason: `${message}${describeExpected(propertySchema)}, got ${shown}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const config = converted as Static<TObject<P>>;
  const refined = options.refine?.(config) ?? [];
  if (refined.length > 0) throw new ConfigError(refined);
  return config;
}
