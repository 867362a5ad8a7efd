// Bucket notifications, which the emulator lacks: every successful object
// creation in the upload bucket that passes through the proxy becomes the
// message S3 would send to the queue, filtered by the stack's prefix and
// suffix as the BucketNotification resource filters it.
import { randomBytes } from "node:crypto";
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { ProxiedRequest, ProxiedResponse, S3Proxy } from "./s3-proxy";
import { nextSequencer, s3EventBody, type CreatedEventName } from "./s3-event";

export interface NotificationOptions {
  bucket: string;
  region: string;
  queueUrl: string;
  filterPrefix?: string;
  filterSuffix?: string;
  /** Reads size, ETag and version of the new object; should bypass the proxy. */
  s3: S3Client;
  sqs: SQSClient;
  configurationId?: string;
  onSent?: (notice: { eventName: CreatedEventName; key: string; messageId: string }) => void;
  onError?: (error: unknown, key: string) => void;
}

// Query parameters that make a PUT or POST something other than a whole
// object write (parts, ACLs, tags ...); x-id is only the SDK naming the call.
const IGNORED_QUERY = new Set(["x-id"]);

const onlyKnownQuery = (query: URLSearchParams, allowed: string[]): boolean =>
  [...query.keys()].every((name) => IGNORED_QUERY.has(name) || allowed.includes(name));

/** Which ObjectCreated event S3 would send for this request, if any. */
export function createdEventName(
  request: ProxiedRequest,
  status: number,
): CreatedEventName | undefined {
  if (status < 200 || status > 299 || request.key === "") return undefined;
  if (request.method === "PUT" && onlyKnownQuery(request.query, [])) {
    return request.headers["x-amz-copy-source"] ? "ObjectCreated:Copy" : "ObjectCreated:Put";
  }
  if (
    request.method === "POST" &&
    request.query.has("uploadId") &&
    onlyKnownQuery(request.query, ["uploadId"])
  ) {
    return "ObjectCreated:CompleteMultipartUpload";
  }
  return undefined;
}

const header = (headers: ProxiedResponse["responseHeaders"], name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export class BucketNotifications {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: NotificationOptions) {}

  attach(proxy: S3Proxy): this {
    proxy.onResponse((response) => this.observe(response));
    return this;
  }

  /** True when the stack's notification filter lets this key through. */
  matches(key: string): boolean {
    const { filterPrefix = "", filterSuffix = "" } = this.options;
    return key.startsWith(filterPrefix) && key.endsWith(filterSuffix);
  }

  /** Resolves when every notification started so far has been sent (or has failed). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private observe(response: ProxiedResponse): void {
    if (response.bucket !== this.options.bucket) return;
    const eventName = createdEventName(response, response.status);
    if (!eventName || !this.matches(response.key)) return;
    // taken now, in response order, so a later write to a key sorts later
    const sequencer = nextSequencer();
    const eventTime = new Date();
    // not awaited: the proxy waits for its listeners, and S3 answers the
    // client before it delivers the event too
    const sending = this.send(response, eventName, sequencer, eventTime)
      .catch((error: unknown) => this.options.onError?.(error, response.key))
      .finally(() => this.inFlight.delete(sending));
    this.inFlight.add(sending);
  }

  private async send(
    response: ProxiedResponse,
    eventName: CreatedEventName,
    sequencer: string,
    eventTime: Date,
  ): Promise<void> {
    const { bucket, region, queueUrl, sqs } = this.options;
    const object =
      (eventName === "ObjectCreated:Put" && fromPut(response)) || (await this.head(response.key));
    const body = s3EventBody(
      { bucket, key: response.key, ...object, sequencer },
      {
        eventName,
        region,
        eventTime,
        configurationId: this.options.configurationId ?? "exiftool-uploads",
        requestId:
          header(response.responseHeaders, "x-amz-request-id") ??
          randomBytes(8).toString("hex").toUpperCase(),
        hostId:
          header(response.responseHeaders, "x-amz-id-2") ?? randomBytes(48).toString("base64"),
        sourceIPAddress: "127.0.0.1",
      },
    );
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    this.options.onSent?.({ eventName, key: response.key, messageId: sent.MessageId ?? "" });
  }

  /**
   * Size, ETag and version of what a copy or multipart upload created (their
   * answers carry them in XML this proxy does not read). An object already
   * gone still gets its event, as on S3: the handler then logs it as deleted.
   */
  private async head(key: string): Promise<ObjectDetails> {
    try {
      const head = await this.options.s3.send(
        new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }),
      );
      return {
        size: head.ContentLength ?? 0,
        eTag: (head.ETag ?? "").replace(/"/g, ""),
        versionId: head.VersionId,
      };
    } catch {
      return { size: 0, eTag: "" };
    }
  }
}

interface ObjectDetails {
  size: number;
  eTag: string;
  versionId?: string;
}

/** What a PutObject created, from its own request and answer, so a later write cannot show through. */
function fromPut(response: ProxiedResponse): ObjectDetails | undefined {
  const eTag = header(response.responseHeaders, "etag");
  // streaming (aws-chunked) uploads give the object's size in their own header
  const size =
    header(response.headers, "x-amz-decoded-content-length") ??
    header(response.headers, "content-length");
  if (eTag === undefined || size === undefined || !/^\d+$/.test(size)) return undefined;
  return {
    size: Number(size),
    eTag: eTag.replace(/"/g, ""),
    versionId: header(response.responseHeaders, "x-amz-version-id"),
  };
}
