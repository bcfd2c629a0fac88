import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { type Observable, tap } from 'rxjs';
import type { AuditLog } from '@plinth/db';
import type { Logger } from '@plinth/logger';
import { AUDIT_LOG, LOGGER } from '../infrastructure/tokens';
import type { AuthenticatedRequest } from './auth.guard';

/**
 * Records every authenticated mutating call, refused or not: who (token name), what (method and
 * route), on which object (route params), and the outcome. Request bodies are not recorded — they may hold secret values.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (['GET', 'HEAD', 'OPTIONS'].includes(request.method) || !request.principal) return next.handle();
    const route = (request.route as { path?: string } | undefined)?.path ?? request.path;
    const targetType = route.split('/').filter(Boolean)[0] ?? 'root';
    const record = (outcome: 'succeeded' | 'failed', status: number): void => {
      this.audit
        .record({
          actor: request.principal.name,
          action: `${request.method} ${route}`,
          targetType,
          targetId: firstParam(request.params),
          details: { params: request.params, outcome, status },
        })
        .catch((error: unknown) => this.log.error({ err: error }, 'could not write the audit log'));
    };
    const response = context.switchToHttp().getResponse<{ statusCode: number }>();
    return next.handle().pipe(
      tap({
        next: () => record('succeeded', response.statusCode),
        error: (error: unknown) => record('failed', (error as { status?: number }).status ?? 500),
      }),
    );
  }
}

function firstParam(params: Record<string, string | string[]> | undefined): string | undefined {
  const value = Object.values(params ?? {})[0];
  return Array.isArray(value) ? value.join('/') : value;
}
