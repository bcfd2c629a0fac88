import { status } from '@grpc/grpc-js';

/**
 * An error a service method returns to the caller as a gRPC status. Anything thrown by a handler
 * that is not a ServiceError becomes INTERNAL with a generic message, so internals never leak.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: status,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string): ServiceError => new ServiceError(status.NOT_FOUND, message);
export const invalidArgument = (message: string): ServiceError =>
  new ServiceError(status.INVALID_ARGUMENT, message);
export const alreadyExists = (message: string): ServiceError =>
  new ServiceError(status.ALREADY_EXISTS, message);
export const failedPrecondition = (message: string): ServiceError =>
  new ServiceError(status.FAILED_PRECONDITION, message);
export const unimplemented = (method: string): ServiceError =>
  new ServiceError(status.UNIMPLEMENTED, `${method} is unimplemented`);
