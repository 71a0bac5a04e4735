/** Parses RFC 4180 CSV (quoted fields, doubled quotes, line breaks inside quotes) into rows with their first line numbers. */
export function parseCsv(text: string, firstLine = 1): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = firstLine;
  let rowLine = firstLine;
  let touched = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      quoted = true;
      touched = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      touched = true;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (touched || cell !== '') {
        cells.push(cell);
        rows.push({ line: rowLine, cells });
      }
      cells = [];
      cell = '';
      touched = false;
      line++;
      rowLine = line;
    } else {
      cell += c;
      touched = true;
    }
  }
  if (touched || cell !== '') {
    cells.push(cell);
    rows.push({ line: rowLine, cells });
  }
  return rows;
}
