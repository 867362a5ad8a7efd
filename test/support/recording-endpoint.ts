// An HTTP endpoint on 127.0.0.1 that records each request the real SDK
// clients send and answers with what the test scripts, so that a request's
// wire shape can be checked without calling AWS.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  contentType: string;
  body: string;
}

export class RecordingEndpoint {
  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  url = "";

  constructor(private readonly answer: (request: RecordedRequest) => Reply) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const request = {
          method: req.method ?? "",
          path: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        this.requests.push(request);
        const reply = this.answer(request);
        res.writeHead(reply.status ?? 200, { "content-type": reply.contentType });
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
