/**
 * Transport-independent service handlers: a table from RPC method name to an async function of
 * the decoded request. The gRPC server (and later the HTTP API) only maps transports onto it.
 */

/** Per-call context a transport supplies. */
export interface CallContext {
  /** Aborted when the caller goes away (gRPC cancel/deadline); long polls end early on it. */
  signal: AbortSignal;
}

/** One RPC: decoded request message → plain response object (serialised with `fromObject`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (request: any, ctx: CallContext) => Promise<object>;

/** Handlers by RPC method name (e.g. `StartWorkflowExecution`). Missing names are UNIMPLEMENTED. */
export type HandlerTable = Record<string, Handler>;

type WorkflowServiceTypes = typeof import('../proto').temporal.api.workflowservice.v1;
type OperatorServiceTypes = typeof import('../proto').temporal.api.operatorservice.v1;

/** The request properties type of a WorkflowService message, e.g. `Req<'StartWorkflowExecutionRequest'>`. */
export type Req<K extends keyof WorkflowServiceTypes> = WorkflowServiceTypes[K] extends {
  create(p?: infer P): unknown;
}
  ? P
  : never;

/** The request properties type of an OperatorService message. */
export type OpReq<K extends keyof OperatorServiceTypes> = OperatorServiceTypes[K] extends {
  create(p?: infer P): unknown;
}
  ? P
  : never;
