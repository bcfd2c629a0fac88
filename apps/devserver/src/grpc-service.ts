/**
 * Maps handler tables onto @grpc/grpc-js services. Codecs come from the @temporalio/proto
 * reflection root, exactly as the TS client encodes them. Transport concerns live here only:
 * malformed bytes → INVALID_ARGUMENT, ServiceError → its status, anything else → INTERNAL with a
 * generic message (the details go to the server log, never to the client).
 */
import * as grpc from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { ServiceError, unimplemented } from './errors';
import { root } from './proto';
import type { DevServerLogger } from './state/store';
import type { HandlerTable } from './handlers/types';

/** Marks a request whose bytes did not decode; the handler wrapper answers INVALID_ARGUMENT. */
class MalformedRequest {
  constructor(readonly message: string) {}
}

/** Builds a grpc-js service definition and implementation for `serviceName` from `handlers`. */
export function buildGrpcService(
  serviceName: string,
  handlers: HandlerTable,
  logger: DevServerLogger,
): { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation } {
  const service = root.lookupService(serviceName);
  service.resolveAll();
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const [name, method] of Object.entries(service.methods)) {
    const requestType = method.resolvedRequestType as Type;
    const responseType = method.resolvedResponseType as Type;
    definition[name] = {
      path: `/${serviceName}/${name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: unknown) =>
        Buffer.from(requestType.encode(requestType.fromObject(value as object)).finish()),
      requestDeserialize: (bytes: Buffer) => {
        try {
          return requestType.decode(bytes);
        } catch (err) {
          return new MalformedRequest(`Malformed ${name} request: ${(err as Error).message}`);
        }
      },
      responseSerialize: (value: unknown) => Buffer.from(responseType.encode(value as object).finish()),
      responseDeserialize: (bytes: Buffer) => responseType.decode(bytes),
    };
    const handler = handlers[name];
    implementation[name] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      // Created on first use: only long polls need a signal, and most calls never touch it.
      let controller: AbortController | undefined;
      const context = {
        get signal(): AbortSignal {
          if (!controller) {
            controller = new AbortController();
            if (call.cancelled) controller.abort();
            else call.once('cancelled', () => controller!.abort());
          }
          return controller.signal;
        },
      };
      const fail = (err: unknown): void => {
        if (err instanceof ServiceError) {
          callback({ code: err.code, details: err.message });
          return;
        }
        logger.error(`${name} failed: ${(err as Error)?.stack ?? String(err)}`);
        callback({ code: grpc.status.INTERNAL, details: 'internal server error' });
      };
      const request = call.request;
      if (request instanceof MalformedRequest) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: request.message });
        return;
      }
      if (!handler) {
        callback({ code: grpc.status.UNIMPLEMENTED, details: unimplemented(name).message });
        return;
      }
      let pending: Promise<object>;
      try {
        pending = handler(request, context);
      } catch (err) {
        fail(err);
        return;
      }
      pending.then(
        (response) => {
          if (call.cancelled) return;
          let message: object;
          try {
            message = responseType.fromObject(response);
          } catch (err) {
            fail(err);
            return;
          }
          callback(null, message);
        },
        (err: unknown) => {
          if (call.cancelled) return;
          fail(err);
        },
      );
    };
  }
  return { definition: definition as grpc.ServiceDefinition, implementation };
}
