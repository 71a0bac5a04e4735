/**
 * One RFC 4180 field: quoted when it holds a comma, quote or line break. A field a spreadsheet
 * would run as a formula (starting with =, +, @, a tab or a carriage return) is quoted with a
 * leading apostrophe inside the quotes (OWASP's CSV-injection rule): indicators are attacker
 * text, and an e-mail sender's local part may start with any of them.
 */
export function csvField(v: string): string {
  const safe = /^[=+@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Lines of fields as a CSV document (CRLF line ends, as RFC 4180 writes them). */
export function csvDocument(rows: readonly (readonly string[])[]): string {
  return `${rows.map((r) => r.map(csvField).join(',')).join('\r\n')}\r\n`;
}
