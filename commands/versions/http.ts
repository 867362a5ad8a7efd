// The one HTTP helper every source uses, so timeouts, status checks and error
// wording are the same for all of them and every failure names its source.

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A failure of one upstream source; the message always starts with its name. */
export class SourceError extends Error {
  constructor(
    readonly source: string,
    detail: string,
  ) {
    super(`${source}: ${detail}`);
    this.name = "SourceError";
  }
}

export interface RequestOptions {
  source: string;
  timeoutMs: number;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
}

export interface TextResponse {
  text: string;
  headers: Headers;
}

function describeNetworkError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === "TimeoutError" || error.name === "AbortError") {
      return `no answer within ${timeoutMs} ms`;
    }
    // undici hides the socket error (ECONNREFUSED, ENOTFOUND...) in `cause`
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as { code?: unknown }).code;
      return `unreachable (${typeof code === "string" ? code : cause.message})`;
    }
    return `unreachable (${error.message})`;
  }
  return `unreachable (${String(error)})`;
}

export async function fetchText(url: string, options: RequestOptions): Promise<TextResponse> {
  const { source, timeoutMs } = options;
  let response: Response;
  // one signal covers connect, headers and body: a server that stalls while
  // streaming the body must not hang the run either
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    response = await fetch(url, {
      method: options.method ?? "GET",
      headers: options.headers,
      body: options.body,
      signal,
      redirect: "follow",
    });
  } catch (error) {
    throw new SourceError(source, `${describeNetworkError(error, timeoutMs)} at ${url}`);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new SourceError(source, `${describeNetworkError(error, timeoutMs)} reading ${url}`);
  }
  if (!response.ok) {
    throw new SourceError(source, `HTTP ${response.status} ${response.statusText} from ${url}`);
  }
  return { text, headers: response.headers };
}

export async function fetchJson(
  url: string,
  options: RequestOptions,
): Promise<{ json: unknown; headers: Headers }> {
  const { text, headers } = await fetchText(url, options);
  try {
    return { json: JSON.parse(text) as unknown, headers };
  } catch {
    throw new SourceError(options.source, `response from ${url} is not valid JSON`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Joins a configurable base URL and a path without doubling or losing slashes. */
export function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
