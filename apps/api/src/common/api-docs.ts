import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

const errorSchema = (example: { code: string; message: string; details?: unknown }) => ({
  type: 'object',
  required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
  example,
});

/** Bearer auth and its two distinct failures, documented on every protected controller. */
export const ApiAuthErrors = (): ClassDecorator & MethodDecorator =>
  applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description: 'No token, or an unknown or revoked one',
      schema: errorSchema({ code: 'UNAUTHENTICATED', message: 'The API token is unknown or revoked.' }),
    }),
    ApiForbiddenResponse({
      description: 'The token lacks the scope this call needs',
      schema: errorSchema({
        code: 'FORBIDDEN',
        message: 'The token "ci" has scopes [read]; this call needs "write".',
        details: { neededScope: 'write' },
      }),
    }),
  );
