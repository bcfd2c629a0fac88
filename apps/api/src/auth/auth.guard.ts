import { type CanActivate, type ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { ApiPrincipal, ApiScope, ApiTokenRepository } from '@plinth/db';
import { ApiError } from '../common/api-error';
import { API_TOKENS } from '../infrastructure/tokens';
import { PUBLIC_ROUTE, REQUIRED_SCOPE } from './auth.decorators';

/** Requests that passed the guard carry who made them. */
export type AuthenticatedRequest = Request & { principal: ApiPrincipal };

/**
 * Bearer-token authentication for every route not marked {@link Public}. A missing or unknown
 * token is 401 UNAUTHENTICATED; a valid token without the needed scope is 403 FORBIDDEN naming it.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(API_TOKENS) private readonly tokens: ApiTokenRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
    if (!match) {
      throw new ApiError(
        HttpStatus.UNAUTHORIZED,
        'UNAUTHENTICATED',
        'This endpoint needs an API token: send "Authorization: Bearer <token>". `npm start` prints the first admin token (kept in .plinth/admin-token); an admin can issue more with POST /tokens.',
      );
    }
    const principal = await this.tokens.verify(match[1]!);
    if (!principal) {
      throw new ApiError(HttpStatus.UNAUTHORIZED, 'UNAUTHENTICATED', 'The API token is unknown or revoked.');
    }
    const needed: ApiScope =
      this.reflector.getAllAndOverride<ApiScope>(REQUIRED_SCOPE, targets) ??
      (['GET', 'HEAD'].includes(request.method) ? 'read' : 'write');
    if (!principal.scopes.includes(needed)) {
      throw new ApiError(
        HttpStatus.FORBIDDEN,
        'FORBIDDEN',
        `The token "${principal.name}" has scopes [${principal.scopes.join(', ')}]; this call needs "${needed}".`,
        { neededScope: needed },
      );
    }
    request.principal = principal;
    return true;
  }
}
