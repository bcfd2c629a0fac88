import type { IncomingMessage, ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject } from './json';
import { malformedJson, RedfishError } from './redfish-error';

/** What a handler answers; the server adds the Redfish headers and serialises the body. */
export interface BmcResponse {
  status: number;
  body?: Readonly<JsonObject>;
  headers?: Record<string, string>;
  /** Runs once the response has been handed to the connection (a BMC reboot must not cut its own answer). */
  afterSend?: () => void;
}

/** Request bodies beyond this are refused (a BMC has little memory; no Redfish body needs more). */
const MAX_BODY_BYTES = 1024 * 1024;

/** Reads the whole body; undefined when there is none. A body that is not a JSON object is a 400. */
export async function readJsonBody(request: IncomingMessage): Promise<JsonObject | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new RedfishError(
        413,
        'PayloadTooLarge',
        'The supplied payload exceeds the maximum size supported by the service.',
      );
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformedJson();
  }
  if (!isJsonObject(parsed)) throw malformedJson();
  return parsed;
}

/** Writes a response with the headers every Redfish response carries. */
export function send(response: ServerResponse, answer: BmcResponse, headOnly: boolean): void {
  const body = answer.body === undefined ? undefined : JSON.stringify(answer.body);
  const headers: Record<string, string | number> = { 'OData-Version': '4.0', ...answer.headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json; charset=utf-8';
    headers['Content-Length'] = Buffer.byteLength(body);
  }
  response.writeHead(answer.status, headers);
  if (answer.afterSend) response.once('finish', answer.afterSend);
  response.end(headOnly ? undefined : body);
}

export function errorResponse(error: RedfishError): BmcResponse {
  return { status: error.status, body: error.body(), headers: error.details.headers ?? {} };
}
