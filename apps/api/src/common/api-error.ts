import type { HttpStatus } from '@nestjs/common';

/**
 * An error meant for API clients: a stable machine-readable `code`, an operator-readable
 * `message` and optional `details`. Features throw these; {@link ApiExceptionFilter} renders them.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The body of every error response. */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: unknown;
}
