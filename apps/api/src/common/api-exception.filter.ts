import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus } from '@nestjs/common';
import type { Response } from 'express';
import type { Logger } from '@plinth/logger';
import { ApiError, type ApiErrorBody } from './api-error';

/**
 * Renders every error as `{ code, message, details }` with the right status. Validation failures
 * become 400 `VALIDATION_FAILED` listing each field; anything unexpected becomes 500 `INTERNAL`
 * with no internals in the body (the stack goes to the log only).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, body } = this.render(exception);
    if (status >= 500) this.log.error({ err: exception }, 'request failed');
    response.status(status).json(body);
  }

  private render(exception: unknown): { status: number; body: ApiErrorBody } {
    if (exception instanceof ApiError) {
      return {
        status: exception.status,
        body: { code: exception.code, message: exception.message, details: exception.details },
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const payload = exception.getResponse();
      const messages =
        typeof payload === 'object' && payload !== null
          ? (payload as { message?: unknown }).message
          : payload;
      if (status === HttpStatus.BAD_REQUEST && Array.isArray(messages)) {
        return {
          status,
          body: {
            code: 'VALIDATION_FAILED',
            message: 'The request is invalid.',
            details: { problems: messages },
          },
        };
      }
      const message = typeof messages === 'string' ? messages : exception.message;
      if (
        status === HttpStatus.BAD_REQUEST &&
        (exception.cause instanceof SyntaxError || /JSON/.test(message))
      ) {
        return {
          status,
          body: { code: 'MALFORMED_JSON', message: `The request body is not valid JSON: ${message}` },
        };
      }
      return { status, body: { code: HttpStatus[status] ?? 'HTTP_ERROR', message } };
    }
    return {
      status: 500,
      body: { code: 'INTERNAL', message: 'Something went wrong on the server; the log has the details.' },
    };
  }
}
