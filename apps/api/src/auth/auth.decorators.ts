import { SetMetadata } from '@nestjs/common';
import type { ApiScope } from '@plinth/db';

export const PUBLIC_ROUTE = 'plinth:public';
export const REQUIRED_SCOPE = 'plinth:scope';

/** The route needs no token (health, docs, boot endpoints with their own one-time tokens). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/**
 * The scope a route needs. Without this decorator GET/HEAD need `read` and every other method
 * needs `write`, so a new mutating endpoint is protected by default.
 */
export const RequireScope = (scope: ApiScope): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, scope);
