/**
 * Inventories as CSV, the format spreadsheets and asset databases export. One machine per row,
 * a header row naming the columns (any order; unknown columns are an error so typos are caught).
 * Each row becomes the same document the YAML/JSON import takes, and problems are reported per
 * row: `line 4 (lab-w-1): boot_mac: must be a MAC address`.
 */
import type { Problem, Validation } from './schema';

/** Columns, and where each goes in the inventory document. */
export const INVENTORY_CSV_COLUMNS = {
  name: 'name',
  serial: 'serial',
  bmc_address: 'bmc.address',
  bmc_credentials: 'bmc.credentialsRef',
  bmc_insecure_tls: 'bmc.insecureTls',
  bmc_ca_bundle: 'bmc.caBundleRef',
  boot_mac: 'bootMac',
  rack: 'rack',
  position: 'position',
  labels: 'labels',
  expect_cpu_cores: 'expect.cpuCores',
  expect_memory_mib: 'expect.memoryMiB',
  expect_disks: 'expect.disks',
} as const;

type Column = keyof typeof INVENTORY_CSV_COLUMNS;
const REQUIRED: Column[] = ['name', 'bmc_address', 'bmc_credentials', 'boot_mac'];
const NUMERIC = new Set<Column>(['position', 'expect_cpu_cores', 'expect_memory_mib', 'expect_disks']);

/** Splits RFC 4180 CSV (quoted fields, doubled quotes, CRLF or LF) into rows of fields with their line numbers. */
export function parseCsvRows(text: string): Validation<{ line: number; fields: string[] }[]> {
  const rows: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  let atFieldStart = true;
  const endRow = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    atFieldStart = true;
  };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line++;
        field += char;
      }
      continue;
    }
    if (char === '"' && atFieldStart) {
      quoted = true;
      atFieldStart = false;
    } else if (char === '"') {
      return {
        ok: false,
        problems: [
          {
            path: '',
            line,
            message: `line ${line}: a quote inside an unquoted field; quote the whole field`,
          },
        ],
      };
    } else if (char === ',') {
      fields.push(field);
      field = '';
      atFieldStart = true;
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      endRow();
      line++;
      rowLine = line;
    } else {
      field += char;
      atFieldStart = false;
    }
  }
  if (quoted)
    return {
      ok: false,
      problems: [{ path: '', line: rowLine, message: `line ${rowLine}: a quoted field is not closed` }],
    };
  if (field !== '' || fields.length > 0) endRow();
  return { ok: true, value: rows };
}

/**
 * Reads a CSV inventory into `{ machines: [...] }` (not yet validated: pass it to
 * `validateInventory`) plus a function that rewrites validation problem paths into row terms.
 */
export function readInventoryCsv(text: string): Validation<{
  document: { machines: Record<string, unknown>[] };
  describe: (problem: Problem) => Problem;
}> {
  const parsed = parseCsvRows(text);
  if (!parsed.ok) return parsed;
  const [header, ...rows] = parsed.value;
  if (!header)
    return {
      ok: false,
      problems: [{ path: '', message: 'the CSV is empty; the first row must name the columns' }],
    };
  const problems: Problem[] = [];
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const known = Object.keys(INVENTORY_CSV_COLUMNS);
  columns.forEach((column, index) => {
    if (!known.includes(column))
      problems.push({
        path: '',
        message: `line 1: column ${index + 1} "${column}" is not a known column (${known.join(', ')})`,
      });
  });
  for (const required of REQUIRED)
    if (!columns.includes(required))
      problems.push({ path: '', message: `line 1: the required column "${required}" is missing` });
  if (problems.length > 0) return { ok: false, problems };

  const machines = rows.map((row) => {
    if (row.fields.length !== columns.length)
      problems.push({
        path: '',
        line: row.line,
        message: `line ${row.line}: has ${row.fields.length} fields, the header has ${columns.length}`,
      });
    const machine: Record<string, unknown> = { labels: {} };
    columns.forEach((column, index) => {
      const raw = (row.fields[index] ?? '').trim();
      if (raw === '') return;
      const target = INVENTORY_CSV_COLUMNS[column as Column];
      let value: unknown = raw;
      if (NUMERIC.has(column as Column) && /^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
      if (column === 'bmc_insecure_tls')
        value = /^(true|yes|1)$/i.test(raw) ? true : /^(false|no|0)$/i.test(raw) ? false : raw;
      if (column === 'labels') {
        const labels: Record<string, string> = {};
        for (const pair of raw.split(';').filter((p) => p.trim() !== '')) {
          const match = /^\s*([^=]+?)\s*=\s*(.*?)\s*$/.exec(pair);
          if (!match)
            problems.push({
              path: '',
              line: row.line,
              message: `line ${row.line}: labels: "${pair}" is not key=value (separate labels with ";")`,
            });
          else labels[match[1]!] = match[2]!;
        }
        value = labels;
      }
      setPath(machine, target, value);
    });
    return machine;
  });
  if (problems.length > 0) return { ok: false, problems };

  const columnOf = Object.fromEntries(
    Object.entries(INVENTORY_CSV_COLUMNS).map(([column, path]) => [path, column]),
  );
  const describe = (problem: Problem): Problem => {
    const match = /^machines\[(\d+)\](?:\.(.*))?$/.exec(problem.path);
    if (!match) return problem;
    const row = rows[Number(match[1])];
    const field = match[2] ?? '';
    const column =
      columnOf[field] ??
      Object.entries(columnOf).find(
        ([path]) => field.startsWith(`${path}.`) || field.startsWith(`${path}[`),
      )?.[1] ??
      field;
    const name =
      typeof machines[Number(match[1])]?.['name'] === 'string'
        ? ` (${String(machines[Number(match[1])]!['name'])})`
        : '';
    return {
      path: column,
      ...(row ? { line: row.line } : {}),
      message: `line ${row?.line ?? '?'}${name}: ${column ? `${column}: ` : ''}${problem.message}`,
    };
  };
  return { ok: true, value: { document: { machines }, describe } };
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}
