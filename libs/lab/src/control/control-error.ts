/** A refused control API request: its status and an operator-readable `{ code, message }` body. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

export const badRequest = (message: string): ControlError => new ControlError(400, 'BAD_REQUEST', message);
export const notFound = (code: string, message: string): ControlError => new ControlError(404, code, message);
