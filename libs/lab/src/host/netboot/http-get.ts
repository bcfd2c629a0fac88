/**
 * HTTP as the netboot chain's clients use it (iPXE, cloud-init, debian-installer's wget, anaconda):
 * plain GETs whose non-2xx answers and connection failures stop the boot with a reason naming
 * the step and the URL.
 */

/** The boot or install failed for a reason an operator can act on; becomes `machine.lastBootError`. */
export class NetbootError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NetbootError';
  }
}

/** Per-request ceiling, like iPXE's and cloud-init's own timeouts, so a hung provisioner fails the boot. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface HttpGetOptions {
  /** What is being fetched, for the error message (`iPXE script`, `kernel`, `user-data`). */
  what: string;
  userAgent: string;
  signal: AbortSignal;
}

async function get(url: string, options: HttpGetOptions): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { 'user-agent': options.userAgent },
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      redirect: 'follow',
    });
  } catch (error) {
    if (options.signal.aborted) throw error;
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? error.cause.message
        : error instanceof Error
          ? error.message
          : String(error);
    throw new NetbootError(`${options.what}: GET ${url} failed: ${cause}`);
  }
  if (response.status < 200 || response.status > 299) {
    await response.body?.cancel();
    throw new NetbootError(
      `${options.what}: GET ${url} answered ${response.status} ${response.statusText}`.trimEnd(),
    );
  }
  return response;
}

/** GET a text document (script, install config). */
export async function httpGetText(
  url: string,
  options: HttpGetOptions,
): Promise<{ text: string; url: string }> {
  const response = await get(url, options);
  return { text: await response.text(), url: response.url || url };
}

/** GET a boot image and throw the bytes away, as a loader that only needs to know it arrived. Returns its size. */
export async function httpGetDiscard(url: string, options: HttpGetOptions): Promise<number> {
  const response = await get(url, options);
  let size = 0;
  if (response.body) for await (const chunk of response.body) size += (chunk as Uint8Array).byteLength;
  return size;
}
