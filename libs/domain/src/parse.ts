/**
 * Reading spec files (YAML or JSON) into plain data, with parse errors as problems that carry a
 * line and column. Uses the pure-JavaScript `yaml` package (YAML 1.2 core schema: `52:54:00:00:01:01`
 * stays a string, but `24.04` is a number — quote versions).
 */
import { parseAllDocuments } from 'yaml';
import { type Problem, type Validation } from './schema';

/** Spec file formats. */
export type SpecFormat = 'yaml' | 'json';

const firstLine = (message: string): string =>
  (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');

const located = (line: number, column: number, message: string): Problem => ({
  path: '',
  line,
  column,
  message: `line ${line}, column ${column}: ${message}`,
});

/** Line and column (1-based) of a character offset. */
function lineColumnOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

function parseJson(text: string): Validation<unknown[]> {
  try {
    return { ok: true, value: [JSON.parse(text) as unknown] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const lineColumn = /line (\d+) column (\d+)/.exec(message);
    const where = lineColumn
      ? { line: Number(lineColumn[1]), column: Number(lineColumn[2]) }
      : position
        ? lineColumnOf(text, Number(position[1]))
        : lineColumnOf(text, text.length);
    const reason = message
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/ \(line \d+ column \d+\)$/, '');
    return { ok: false, problems: [located(where.line, where.column, reason)] };
  }
}

/**
 * Parses every document of a file (YAML files may hold several, separated by `---`).
 * YAML duplicate keys are errors; aliases are expanded with the `yaml` package's limit
 * against alias bombs. JSON is parsed strictly.
 */
export function parseSpecDocuments(text: string, format: SpecFormat = 'yaml'): Validation<unknown[]> {
  try {
    return format === 'json' ? parseJson(text) : parseYaml(text);
  } catch (error) {
    // The parsers throw on pathological input (e.g. nesting that exhausts the stack): still a 400.
    return {
      ok: false,
      problems: [
        { path: '', message: `could not parse: ${error instanceof Error ? error.message : String(error)}` },
      ],
    };
  }
}

function parseYaml(text: string): Validation<unknown[]> {
  const documents = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  if (!Array.isArray(documents)) return { ok: true, value: [] }; // only comments / directives
  const problems: Problem[] = [];
  for (const document of documents) {
    for (const error of document.errors) {
      const start = error.linePos?.[0];
      problems.push(
        start
          ? located(start.line, start.col, firstLine(error.message))
          : { path: '', message: firstLine(error.message) },
      );
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const values: unknown[] = [];
  for (const document of documents) {
    try {
      values.push(document.toJS({ maxAliasCount: 100 }));
    } catch (error) {
      problems.push({ path: '', message: error instanceof Error ? firstLine(error.message) : String(error) });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: values };
}

/**
 * Parses a file that holds exactly one document (a cluster spec or an inventory). More than one
 * YAML document is a problem (use {@link parseSpecDocuments}); an empty file yields `null`, which
 * the validators reject with `must be an object`.
 */
export function parseSpecDocument(text: string, format: SpecFormat = 'yaml'): Validation<unknown> {
  const parsed = parseSpecDocuments(text, format);
  if (!parsed.ok) return parsed;
  if (parsed.value.length > 1) {
    return {
      ok: false,
      problems: [
        { path: '', message: `expected one document, found ${parsed.value.length} (separated by ---)` },
      ],
    };
  }
  return { ok: true, value: parsed.value[0] ?? null };
}
