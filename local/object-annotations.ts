// S3's object annotations (PutObjectAnnotation, GetObjectAnnotation,
// ListObjectAnnotations, DeleteObjectAnnotation) for the local S3. The
// emulator has none: it takes `PUT /bucket/key?annotation` for a plain
// PutObject and would replace the object's bytes with the payload. The proxy
// answers every `?annotation` request here instead and never forwards one.
//
// As S3 documents them: a name of 1 to 512 bytes of Unicode letters, digits,
// `_`, `.` and `-`, not starting with `aws` or `s3` (any case); a payload of
// 1 byte to 1 MiB of valid UTF-8 (415 otherwise); at most 1,000 per object
// version; `x-amz-object-if-match` compared with the object's ETag; none on
// an SSE-C object; gone with the object. The emulator keeps no versions, so
// every object here is the one version `null`: a request naming another
// version gets NoSuchVersion. An object is the same object while its ETag
// and Last-Modified stay; a write or delete through the proxy drops its
// annotations at once, and one made around the proxy is caught by that check.
import { createHash } from "node:crypto";
import http from "node:http";
import {
  annotationNameProblem,
  MAX_ANNOTATION_BYTES,
  MAX_ANNOTATION_NAME_BYTES,
  MAX_ANNOTATIONS_PER_OBJECT,
} from "../function/results/annotation-rules";

interface Annotation {
  payload: Buffer;
  lastModified: Date;
  eTag: string;
}

interface ObjectState {
  /** ETag and Last-Modified of the object these annotations belong to; unset until first seen. */
  identity?: string;
  sseC: boolean;
  annotations: Map<string, Annotation>;
}

export interface AnnotationAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const SSE_C_HEADER = "x-amz-server-side-encryption-customer-algorithm";
const NULL_VERSION = "null";

const unquote = (eTag: string | undefined): string => (eTag ?? "").replace(/"/g, "");

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

function xml(root: string, inner: string): Buffer {
  return Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<${root}>${inner}</${root}>`);
}

function error(status: number, code: string, message: string): AnnotationAnswer {
  return {
    status,
    headers: { "content-type": "application/xml" },
    body: xml(
      "Error",
      `<Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>local</RequestId>`,
    ),
  };
}

interface Target {
  bucket: string;
  key: string;
  /** The request path as sent (/bucket/key, encoded), for the HEAD to the emulator. */
  rawPath: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  method: string;
}

export class ObjectAnnotations {
  private readonly objects = new Map<string, ObjectState>();

  constructor(
    /** Emulator endpoint, for the HEAD that says whether the object exists and which it is. */
    private readonly target: string,
    private readonly agent: http.Agent,
  ) {}

  /** True for the four annotation operations: the proxy must answer them itself. */
  static handles(request: { key: string; query: URLSearchParams }): boolean {
    return request.key !== "" && request.query.has("annotation");
  }

  /**
   * The object at bucket/key was replaced or deleted through the proxy: S3
   * removes a version's annotations with it. `headers` are the write's own,
   * to remember an SSE-C object.
   */
  objectWritten(bucket: string, key: string, headers?: http.IncomingHttpHeaders): void {
    const sseC = headers?.[SSE_C_HEADER] !== undefined;
    if (sseC) this.objects.set(id(bucket, key), { sseC, annotations: new Map() });
    else this.objects.delete(id(bucket, key));
  }

  async answer(request: Target, body: Buffer): Promise<AnnotationAnswer> {
    const versionId = request.query.get("versionId");
    const isPut = request.method === "PUT";
    const isDelete = request.method === "DELETE";
    const isGet = request.method === "GET";
    if (!isPut && !isDelete && !isGet)
      return error(405, "MethodNotAllowed", `${request.method} is not an annotation operation`);
    // GetObjectAnnotation names one annotation; ListObjectAnnotations none
    const listing = isGet && !request.query.has("annotationName");
    const name = request.query.get("annotationName");
    if (!listing) {
      if (name === null) return error(400, "InvalidRequest", "annotationName is required");
      if (Buffer.byteLength(name) > MAX_ANNOTATION_NAME_BYTES)
        return error(400, "AnnotationNameTooLong", "The annotation name exceeds 512 bytes.");
      const problem = annotationNameProblem(name);
      if (problem) return error(400, "InvalidAnnotationName", problem);
    }

    const head = await this.head(request.rawPath);
    if (head === undefined) {
      this.objects.delete(id(request.bucket, request.key));
      return error(404, "NoSuchKey", "The specified key does not exist.");
    }
    if (versionId !== null && versionId !== NULL_VERSION)
      return error(404, "NoSuchVersion", "The specified version does not exist.");
    const state = this.stateOf(request.bucket, request.key, head);
    if (state.sseC)
      return error(400, "InvalidRequest", "Objects encrypted with SSE-C cannot have annotations.");
    const ifMatch = request.headers["x-amz-object-if-match"];
    if (
      typeof ifMatch === "string" &&
      (isPut || isDelete) &&
      unquote(ifMatch) !== unquote(head.eTag)
    )
      return error(
        412,
        "PreconditionFailed",
        "The object's ETag does not match x-amz-object-if-match.",
      );

    if (listing) return this.list(request, state);
    if (isGet) {
      const annotation = state.annotations.get(name!);
      if (!annotation)
        return error(
          404,
          "NoSuchAnnotation",
          "The specified annotation does not exist on this object.",
        );
      return {
        status: 200,
        headers: {
          "content-type": "application/octet-stream",
          "last-modified": annotation.lastModified.toUTCString(),
          etag: annotation.eTag,
        },
        body: annotation.payload,
      };
    }
    if (isDelete) {
      state.annotations.delete(name!);
      return { status: 204, headers: {}, body: Buffer.alloc(0) };
    }
    return this.put(request, state, name!, body);
  }

  private put(
    request: Target,
    state: ObjectState,
    name: string,
    payload: Buffer,
  ): AnnotationAnswer {
    if (payload.length === 0)
      return error(400, "InvalidRequest", "An annotation payload is at least 1 byte.");
    if (payload.length > MAX_ANNOTATION_BYTES)
      return error(400, "EntityTooLarge", "An annotation payload is at most 1 MiB.");
    try {
      new TextDecoder("utf-8", { fatal: true }).decode(payload);
    } catch {
      return error(
        415,
        "UnsupportedMediaType",
        "The annotation payload is not valid UTF-8 encoded text.",
      );
    }
    if (!state.annotations.has(name) && state.annotations.size >= MAX_ANNOTATIONS_PER_OBJECT) {
      return error(
        400,
        "AnnotationLimitExceeded",
        `The object already has ${MAX_ANNOTATIONS_PER_OBJECT} annotations.`,
      );
    }
    const eTag = `"${createHash("md5").update(payload).digest("hex")}"`;
    state.annotations.set(name, { payload, lastModified: new Date(), eTag });
    return {
      status: 200,
      headers: { "content-type": "application/xml", etag: eTag },
      body: xml(
        "PutObjectAnnotationResult",
        `<Key>${escapeXml(request.key)}</Key><AnnotationName>${escapeXml(name)}</AnnotationName>`,
      ),
    };
  }

  private list(request: Target, state: ObjectState): AnnotationAnswer {
    const prefix = request.query.get("annotation-prefix") ?? "";
    const maxRaw = request.query.get("max-annotation-results");
    const max = maxRaw === null ? MAX_ANNOTATIONS_PER_OBJECT : Number(maxRaw);
    if (!Number.isInteger(max) || max < 1 || max > MAX_ANNOTATIONS_PER_OBJECT)
      return error(400, "InvalidArgument", "max-annotation-results is from 1 to 1000.");
    const after = request.query.get("continuation-token");
    const names = [...state.annotations.keys()]
      .filter((name) => name.startsWith(prefix))
      .sort()
      .filter((name) => after === null || name > Buffer.from(after, "base64url").toString());
    const page = names.slice(0, max);
    const next = names.length > max ? Buffer.from(page.at(-1)!).toString("base64url") : undefined;
    const entries = page
      .map((name) => {
        const annotation = state.annotations.get(name)!;
        return (
          `<AnnotationEntry><AnnotationName>${escapeXml(name)}</AnnotationName>` +
          `<LastModified>${annotation.lastModified.toISOString()}</LastModified>` +
          `<ETag>${escapeXml(annotation.eTag)}</ETag><Size>${annotation.payload.length}</Size></AnnotationEntry>`
        );
      })
      .join("");
    return {
      status: 200,
      headers: { "content-type": "application/xml" },
      body: xml(
        "ListObjectAnnotationsResult",
        `<Annotations>${entries}</Annotations><Bucket>${escapeXml(request.bucket)}</Bucket>` +
          `<Key>${escapeXml(request.key)}</Key><AnnotationPrefix>${escapeXml(prefix)}</AnnotationPrefix>` +
          `<MaxAnnotationResults>${max}</MaxAnnotationResults><AnnotationCount>${page.length}</AnnotationCount>` +
          (after === null ? "" : `<ContinuationToken>${escapeXml(after)}</ContinuationToken>`) +
          (next === undefined ? "" : `<NextContinuationToken>${next}</NextContinuationToken>`),
      ),
    };
  }

  /** The annotations of the object now at bucket/key: a different object than last seen starts empty. */
  private stateOf(bucket: string, key: string, head: Head): ObjectState {
    const identity = `${unquote(head.eTag)} ${head.lastModified}`;
    const state = this.objects.get(id(bucket, key));
    if (state && (state.identity === undefined || state.identity === identity)) {
      state.identity = identity;
      return state;
    }
    const fresh: ObjectState = { identity, sseC: false, annotations: new Map() };
    this.objects.set(id(bucket, key), fresh);
    return fresh;
  }

  private head(rawPath: string): Promise<Head | undefined> {
    const url = new URL(this.target);
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: url.hostname, port: url.port, path: rawPath, method: "HEAD", agent: this.agent },
        (response) => {
          response.resume();
          if (response.statusCode === 404) return resolve(undefined);
          if (response.statusCode !== 200)
            return reject(new Error(`HEAD ${rawPath}: emulator answered ${response.statusCode}`));
          resolve({
            eTag: String(response.headers.etag ?? ""),
            lastModified: String(response.headers["last-modified"] ?? ""),
          });
        },
      );
      request.on("error", reject);
      request.end();
    });
  }
}

interface Head {
  eTag: string;
  lastModified: string;
}

const id = (bucket: string, key: string): string => `${bucket}/${key}`;
