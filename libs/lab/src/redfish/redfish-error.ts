import { LabError } from '../machine/lab-machine';
import type { JsonObject } from './json';

/** The DMTF Base message registry version whose MessageIds the lab uses. */
export const BASE_REGISTRY = 'Base.1.16';

/** Options of a {@link RedfishError} beyond status and message. */
export interface RedfishErrorDetails {
  args?: string[];
  relatedProperties?: string[];
  resolution?: string;
  headers?: Record<string, string>;
}

/**
 * An error answered in the Redfish shape (DSP0266 "Error responses"):
 * `{ error: { code, message, '@Message.ExtendedInfo': [Message] } }` with a Base registry MessageId.
 */
export class RedfishError extends Error {
  constructor(
    readonly status: number,
    /** Base registry message key, e.g. `PropertyValueNotInList`. */
    readonly messageKey: string,
    message: string,
    readonly details: RedfishErrorDetails = {},
  ) {
    super(message);
    this.name = 'RedfishError';
  }

  get messageId(): string {
    return `${BASE_REGISTRY}.${this.messageKey}`;
  }

  body(): JsonObject {
    const extended: JsonObject = {
      '@odata.type': '#Message.v1_1_1.Message',
      MessageId: this.messageId,
      Message: this.message,
      MessageArgs: this.details.args ?? [],
      Severity: this.status >= 500 || this.status === 401 ? 'Critical' : 'Warning',
      Resolution: this.details.resolution ?? 'None.',
    };
    if (this.details.relatedProperties) extended['RelatedProperties'] = this.details.relatedProperties;
    return { error: { code: this.messageId, message: this.message, '@Message.ExtendedInfo': [extended] } };
  }
}

export const unauthorized = (): RedfishError =>
  new RedfishError(401, 'NoValidSession', 'There is no valid session established with the implementation.', {
    resolution:
      'Establish a session (POST /redfish/v1/SessionService/Sessions) or send valid Basic credentials.',
    headers: { 'WWW-Authenticate': 'Basic realm="Redfish"' },
  });

export const resourceMissing = (path: string): RedfishError =>
  new RedfishError(404, 'ResourceMissingAtURI', `The resource at the URI ${path} was not found.`, {
    args: [path],
    resolution: 'Place a valid resource at the URI or correct the URI and resubmit the request.',
  });

export const methodNotAllowed = (method: string, path: string, allow: string[]): RedfishError =>
  new RedfishError(405, 'OperationNotAllowed', `The HTTP method ${method} is not allowed on ${path}.`, {
    resolution: `Use one of: ${allow.join(', ')}.`,
    headers: { Allow: allow.join(', ') },
  });

export const malformedJson = (): RedfishError =>
  new RedfishError(
    400,
    'MalformedJSON',
    'The request body submitted was malformed JSON and could not be parsed by the receiving service.',
    { resolution: 'Ensure that the request body is a valid JSON object and resubmit the request.' },
  );

export const propertyMissing = (property: string): RedfishError =>
  new RedfishError(
    400,
    'PropertyMissing',
    `The property ${property} is a required property and must be included in the request.`,
    {
      args: [property],
      relatedProperties: [`#/${property}`],
    },
  );

export const propertyUnknown = (property: string): RedfishError =>
  new RedfishError(
    400,
    'PropertyUnknown',
    `The property ${property} is not in the list of valid properties for the resource.`,
    {
      args: [property],
      relatedProperties: [`#/${property}`],
    },
  );

export const propertyValueNotInList = (
  value: unknown,
  property: string,
  allowable: readonly string[],
): RedfishError =>
  new RedfishError(
    400,
    'PropertyValueNotInList',
    `The value '${String(value)}' for the property ${property} is not in the list of acceptable values (${allowable.join(', ')}).`,
    { args: [String(value), property], relatedProperties: [`#/${property}`] },
  );

export const propertyValueTypeError = (value: unknown, property: string): RedfishError =>
  new RedfishError(
    400,
    'PropertyValueTypeError',
    `The value '${JSON.stringify(value)}' for the property ${property} is of a different type than the property can accept.`,
    { args: [JSON.stringify(value), property], relatedProperties: [`#/${property}`] },
  );

export const actionParameterMissing = (action: string, parameter: string): RedfishError =>
  new RedfishError(
    400,
    'ActionParameterMissing',
    `The action ${action} requires the parameter ${parameter} to be present in the request body.`,
    {
      args: [action, parameter],
    },
  );

export const actionParameterNotInList = (
  value: unknown,
  parameter: string,
  action: string,
  allowable: readonly string[],
): RedfishError =>
  new RedfishError(
    400,
    'ActionParameterValueNotInList',
    `The value '${String(value)}' for the parameter ${parameter} in the action ${action} is not in the list of acceptable values (${allowable.join(', ')}).`,
    { args: [String(value), parameter, action] },
  );

export const preconditionFailed = (): RedfishError =>
  new RedfishError(
    412,
    'PreconditionFailed',
    'The ETag supplied did not match the ETag required to change this resource.',
    {
      resolution: 'GET the resource for its current ETag and try the operation again with it.',
    },
  );

export const serviceUnavailable = (reason: string): RedfishError =>
  new RedfishError(
    503,
    'ServiceTemporarilyUnavailable',
    `The service is temporarily unavailable: ${reason}. Retry in 1 seconds.`,
    {
      args: ['1'],
      headers: { 'Retry-After': '1' },
    },
  );

/** Maps a refused lab operation to the status and message a BMC would answer. */
export function fromLabError(error: LabError): RedfishError {
  switch (error.code) {
    case 'VolumeNotFound':
      return new RedfishError(404, 'ResourceNotFound', error.message);
    case 'DriveInUse':
      return new RedfishError(409, 'ResourceInUse', error.message);
    case 'DriveFailed':
      return new RedfishError(409, 'ResourceInStandby', error.message, {
        resolution: 'Replace the failed drive or choose other drives.',
      });
    case 'UnknownAttribute':
      return new RedfishError(400, 'PropertyUnknown', error.message);
    default:
      return new RedfishError(400, 'PropertyValueError', error.message);
  }
}

/** Any error thrown by a handler as a Redfish error (lab refusals mapped, anything else a 500). */
export function toRedfishError(error: unknown): RedfishError {
  if (error instanceof RedfishError) return error;
  if (error instanceof LabError) return fromLabError(error);
  const message = error instanceof Error ? error.message : String(error);
  return new RedfishError(
    500,
    'InternalError',
    `The request failed due to an internal service error: ${message}`,
  );
}
