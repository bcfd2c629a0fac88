import { HttpStatus } from '@nestjs/common';
import { parseSpecDocument, type Validation } from '@plinth/domain';
import { ApiError } from './api-error';

/** Content types accepted as YAML documents (besides JSON). */
export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** Content types accepted as CSV (machine inventories only). */
export const CSV_CONTENT_TYPES = ['text/csv', 'application/csv'];

/**
 * A document body sent as JSON (already parsed) or YAML (raw text), validated by `validate`.
 * Every problem is reported at once: 400 `code` with `details.problems[{ path, message }]`.
 */
export function readDocument<T>(
  body: unknown,
  code: string,
  what: string,
  validate: (input: unknown) => Validation<T>,
): T {
  let input = body;
  if (typeof body === 'string') {
    const parsed = parseSpecDocument(body, 'yaml');
    if (!parsed.ok) throw invalid(code, `The ${what} is not valid YAML.`, parsed.problems);
    input = parsed.value;
  }
  const result = validate(input);
  if (!result.ok)
    throw invalid(code, `The ${what} has ${result.problems.length} problem(s).`, result.problems);
  return result.value;
}

export function invalid(
  code: string,
  message: string,
  problems: { path: string; message: string }[],
): ApiError {
  return new ApiError(HttpStatus.BAD_REQUEST, code, message, { problems });
}
