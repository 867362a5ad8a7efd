// A local stand-in for the four upstream services, serving the recorded
// answers in fixtures/, plus temp copies of a project for the CLI to edit.
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const FIXTURES = join(__dirname, "fixtures");

export function fixture(path: string): string {
  return readFileSync(join(FIXTURES, path), "utf8");
}

export function fixtureJson<T>(path: string): T {
  return JSON.parse(fixture(path)) as T;
}

export interface Route {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

/** Keys are "METHOD /path?query" as the client sends them. */
export type Routes = Record<string, Route>;

const TOKEN = fixtureJson<{ token: string }>("ecr/token.json").token;

export function recordedRoutes(): Routes {
  const json = { "content-type": "application/json" };
  const manifestList = {
    "content-type": "application/vnd.docker.distribution.manifest.list.v2+json",
  };
  const ociIndex = { "content-type": "application/vnd.oci.image.index.v1+json" };
  return {
    "GET /npm/-/package/exiftool-vendored.pl/dist-tags": {
      headers: json,
      body: fixture("npm/dist-tags.json"),
    },
    "GET /exiftool/ver.txt": {
      headers: { "content-type": "text/plain" },
      body: fixture("exiftool-org/ver.txt"),
    },
    "POST /metacpan/v1/release/_search": {
      headers: json,
      body: fixture("metacpan/release-search.json"),
    },
    "GET /token/?scope=repository:lambda/nodejs:pull": {
      headers: json,
      body: fixture("ecr/token.json"),
    },
    "GET /v2/lambda/nodejs/manifests/24": {
      headers: manifestList,
      body: fixture("ecr/manifest-list-24.json"),
    },
    "GET /v2/lambda/nodejs/manifests/26": {
      headers: ociIndex,
      body: fixture("ecr/image-index-26.json"),
    },
    "GET /v2/lambda/nodejs/tags/list?n=1000": {
      headers: { ...json, link: fixture("ecr/tags-list-page1.link").trim() },
      body: fixture("ecr/tags-list-page1.json"),
    },
    [`GET ${/<([^>]+)>/.exec(fixture("ecr/tags-list-page1.link"))![1]}`]: {
      headers: json,
      body: fixture("ecr/tags-list-page2.json"),
    },
  };
}

export interface FakeUpstream {
  url: string;
  requests: { key: string; authorization?: string; body: string }[];
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startUpstream(routes: Routes): Promise<FakeUpstream> {
  const requests: FakeUpstream["requests"] = [];
  const server: Server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const key = `${request.method} ${request.url}`;
      requests.push({ key, authorization: request.headers.authorization, body });
      // like the real registry, the /v2 API refuses requests without the token
      if (request.url?.startsWith("/v2/") && request.headers.authorization !== `Bearer ${TOKEN}`) {
        response.writeHead(401, { "content-type": "application/json" });
        response.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      const route = routes[key];
      if (!route) {
        response.writeHead(404, { "content-type": "text/plain" });
        response.end(`no fixture for ${key}`);
        return;
      }
      response.writeHead(route.status ?? 200, route.headers ?? {});
      response.end(route.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on: bound, then released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function upstreamEnv(url: string): NodeJS.ProcessEnv {
  return {
    VERSIONS_NPM_REGISTRY: `${url}/npm`,
    VERSIONS_EXIFTOOL_ORG: `${url}/exiftool`,
    VERSIONS_METACPAN: `${url}/metacpan`,
    VERSIONS_ECR_PUBLIC: url,
    VERSIONS_TIMEOUT_MS: "5000",
  };
}

export const PROJECT_FILES = ["Pulumi.dev.yaml", "package.json", "package-lock.json"] as const;

export interface TempProject {
  root: string;
  read(file: string): Buffer;
  snapshot(): Map<string, Buffer>;
  remove(): void;
}

export function tempProject(): TempProject {
  const root = mkdtempSync(join(tmpdir(), "versions-test-"));
  cpSync(join(FIXTURES, "project"), root, { recursive: true });
  // kept under another name so Prettier does not normalise its quoting,
  // which the write tests rely on to prove the original style is kept
  renameSync(join(root, "Pulumi.dev.yaml.fixture"), join(root, "Pulumi.dev.yaml"));
  const read = (file: string): Buffer => readFileSync(join(root, file));
  return {
    root,
    read,
    snapshot: () => new Map(PROJECT_FILES.map((file) => [file, read(file)])),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
