import type { TProperties } from 'typebox';

/** Renders a schema as a Markdown table of variables, for the generated docs. */
export function describeConfig(properties: TProperties): string {
  const rows = Object.entries(properties).map(([name, schema]) => {
    const s = schema as Record<string, unknown>;
    const type = Array.isArray(s['anyOf'])
      ? (s['anyOf'] as Record<string, unknown>[]).map((o) => `\`${String(o['const'])}\``).join(' \\| ')
      : String(s['type'] ?? 'string');
    const fallback = !('default' in s) ? '**required**' : s['secret'] === true ? '(secret)' : `\`${JSON.stringify(s['default'])}\``;
    return `| \`${name}\` | ${type} | ${fallback} | ${String(s['description'] ?? '')} |`;
  });
  return ['| variable | type | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
