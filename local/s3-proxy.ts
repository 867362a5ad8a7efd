// A small HTTP front door for the emulator. Every S3 and SQS request passes
// through it, which gives the local pipeline three things an emulator alone
// lacks: a request log to check the engine's counters against, the bucket
// notifications S3 would send (local/notifications.ts listens here), and
// the cost of a real network (latency, bandwidth) and its faults (5xx,
// throttling) on demand.
import http from "node:http";
import { Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ObjectAnnotations } from "./object-annotations";

export interface ProxiedRequest {
  method: string;
  /** Path-style S3 addressing: /BUCKET/KEY (decoded); empty for SQS calls. */
  bucket: string;
  key: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
}

export interface ProxiedResponse extends ProxiedRequest {
  status: number;
  /** Response body bytes sent to the client. */
  bytes: number;
  responseHeaders: http.IncomingHttpHeaders;
}

export interface ProxyOptions {
  /** Emulator endpoint, e.g. http://127.0.0.1:PORT */
  target: string;
  port?: number;
  /** Added before the first byte of each response, as a round trip would. */
  latencyMs?: number;
  /** Per-connection cap on response bytes per second. */
  bytesPerSecond?: number;
  /** The log keeps at least this many recent entries, at most twice as many (a server may run for days). */
  logLimit?: number;
}

/** An HTTP status and S3 error code to answer instead of forwarding. */
export interface InjectedFault {
  status: number;
  code: string;
  /** More elements of S3's error body, e.g. InvalidObjectState's StorageClass. */
  fields?: Record<string, string>;
}

export type FaultRule = (request: ProxiedRequest) => InjectedFault | undefined;
export type ResponseListener = (response: ProxiedResponse) => void | Promise<void>;

export class S3Proxy {
  readonly log: ProxiedResponse[] = [];
  fault?: FaultRule;
  private readonly listeners: ResponseListener[] = [];
  private readonly agent = new http.Agent({ keepAlive: true });
  /** S3's annotation API, which the emulator lacks: served here, never forwarded. */
  readonly annotations: ObjectAnnotations;
  private server?: http.Server;
  private actualPort = 0;

  constructor(private readonly options: ProxyOptions) {
    this.annotations = new ObjectAnnotations(options.target, this.agent);
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.actualPort}`;
  }

  get port(): number {
    return this.actualPort;
  }

  /** Called after each response has been sent, in order. */
  onResponse(listener: ResponseListener): void {
    this.listeners.push(listener);
  }

  /** S3 GETs of one object, in order: what the engine's counters must match. */
  getsOf(bucket: string, key: string): ProxiedResponse[] {
    return this.log.filter(
      (entry) => entry.method === "GET" && entry.bucket === bucket && entry.key === key,
    );
  }

  async start(): Promise<this> {
    const server = http.createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(502, { "content-type": "text/plain" });
        response.end(`proxy error: ${String(error)}`);
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      // EADDRINUSE and the like: the caller says which port and why
      server.once("error", reject);
      server.listen(this.options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    this.actualPort = typeof address === "object" && address ? address.port : 0;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
  ): Promise<void> {
    // Split by hand, never through URL: it would resolve "." and ".."
    // segments, and S3 keeps keys such as "a/../b.jpg" exactly as sent.
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const rawPath = queryAt < 0 ? target : target.slice(0, queryAt);
    const [bucket = "", ...rest] = rawPath.slice(1).split("/");
    const proxied: ProxiedRequest = {
      method: request.method ?? "GET",
      bucket: decodeURIComponent(bucket),
      key: rest.map(decodeURIComponent).join("/"),
      query: new URLSearchParams(queryAt < 0 ? "" : target.slice(queryAt + 1)),
      headers: request.headers,
    };
    const fault = this.fault?.(proxied);
    if (fault) {
      request.resume();
      const fields = Object.entries(fault.fields ?? {})
        .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
        .join("");
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>injected by the local proxy</Message>${fields}</Error>`;
      response.writeHead(fault.status, { "content-type": "application/xml" });
      response.end(body);
      await this.record(proxied, fault.status, Buffer.byteLength(body), {});
      return;
    }
    if (this.options.latencyMs) await delay(this.options.latencyMs);
    if (ObjectAnnotations.handles(proxied)) {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await this.annotations.answer(
        { ...proxied, rawPath, method: proxied.method },
        Buffer.concat(chunks),
      );
      response.writeHead(answer.status, {
        ...answer.headers,
        "content-length": String(answer.body.length),
      });
      response.end(answer.body);
      await this.record(proxied, answer.status, answer.body.length, answer.headers);
      return;
    }

    const upstream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const upstreamUrl = new URL(this.options.target);
      const forward = http.request(
        {
          host: upstreamUrl.hostname,
          port: upstreamUrl.port,
          path: target,
          method: request.method,
          headers: request.headers,
          agent: this.agent,
        },
        resolve,
      );
      forward.on("error", reject);
      request.pipe(forward);
    });
    response.writeHead(upstream.statusCode ?? 502, upstream.headers);
    let bytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    const sent = this.options.bytesPerSecond
      ? pipeline(upstream, counter, new Throttle(this.options.bytesPerSecond), response)
      : pipeline(upstream, counter, response);
    // a client that hangs up early (an aborted read) is not the proxy's error
    await sent.catch(() => undefined);
    const status = upstream.statusCode ?? 502;
    if (replacesObject(proxied, status))
      this.annotations.objectWritten(proxied.bucket, proxied.key, proxied.headers);
    await this.record(proxied, status, bytes, upstream.headers);
  }

  private async record(
    request: ProxiedRequest,
    status: number,
    bytes: number,
    responseHeaders: http.IncomingHttpHeaders,
  ): Promise<void> {
    const entry = { ...request, status, bytes, responseHeaders };
    this.log.push(entry);
    const limit = this.options.logLimit ?? 10_000;
    if (this.log.length >= 2 * limit) this.log.splice(0, this.log.length - limit);
    for (const listener of this.listeners) await listener(entry);
  }
}

/** Paces a stream to a byte rate, as one TCP connection to S3 would be. */
class Throttle extends Transform {
  private readonly started = Date.now();
  private sent = 0;

  constructor(private readonly bytesPerSecond: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.sent += chunk.length;
    const due = this.started + (this.sent / this.bytesPerSecond) * 1000;
    const wait = due - Date.now();
    if (wait > 1) setTimeout(() => callback(null, chunk), wait);
    else callback(null, chunk);
  }
}

/** A successful write or delete of a whole object: S3 removes the replaced version's annotations. */
function replacesObject(request: ProxiedRequest, status: number): boolean {
  if (status < 200 || status > 299 || request.key === "") return false;
  const query = [...request.query.keys()].filter((name) => name !== "x-id");
  if (request.method === "PUT" || request.method === "DELETE") return query.length === 0;
  return request.method === "POST" && query.length === 1 && query[0] === "uploadId";
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
