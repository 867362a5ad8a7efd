// Turns one SQS message body into the objects it announces. S3 sends its
// own notification JSON (one or more Records, keys URL-encoded with `+` for
// a space) or, through EventBridge, an "Object Created" event; it also sends
// an s3:TestEvent when a notification is first configured.

export interface ObjectCreated {
  bucket: string;
  /** Decoded key, as S3 APIs take it. */
  key: string;
  /**
   * Another reading of the key, tried if `key` is not found: EventBridge's
   * S3 events carry keys as they are (recorded events show a raw ":"), but
   * AWS does not document it, so the URL-decoded form is kept in reserve
   * rather than risk acknowledging an existing object as deleted.
   */
  alternateKey?: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  /**
   * The version to read. Notifications leave it unset: the current version
   * is read, and a result says when the notification was stale. An S3
   * Batch Operations task names the version it is about.
   */
  readVersionId?: string;
  sequencer?: string;
  eventName: string;
  eventTime?: string;
}

/** An object removed (deleted, or hidden by a delete marker): its stored result may have to go. */
export interface ObjectRemoved {
  bucket: string;
  /** Decoded key. */
  key: string;
  /** The removed version, or the delete marker's version, when the bucket is versioned. */
  versionId?: string;
  sequencer?: string;
  eventName: string;
}

export type ParsedMessage =
  | { kind: "objects"; objects: ObjectCreated[]; removals: ObjectRemoved[]; skipped: string[] }
  | { kind: "test" }
  | { kind: "ignored"; reason: string };

export class MalformedMessageError extends Error {
  override readonly name = "MalformedMessageError";
}

/** S3 notification keys are form-encoded: `+` is a space, then %XX escapes (UTF-8). */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
  } catch {
    throw new MalformedMessageError(
      `object key ${JSON.stringify(encoded)} is not valid URL encoding`,
    );
  }
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function field<T>(
  record: Json,
  path: string,
  type: "string" | "number",
  optional: true,
): T | undefined;
function field<T>(record: Json, path: string, type: "string" | "number"): T;
function field<T>(
  record: Json,
  path: string,
  type: "string" | "number",
  optional = false,
): T | undefined {
  let value: unknown = record;
  for (const part of path.split(".")) value = isObject(value) ? value[part] : undefined;
  if (value === undefined || value === null) {
    if (optional) return undefined;
    throw new MalformedMessageError(`missing ${path}`);
  }
  if (typeof value !== type) throw new MalformedMessageError(`${path} is not a ${type}`);
  return value as T;
}

function fromS3Record(
  record: unknown,
  index: number,
): ObjectCreated | { removed: ObjectRemoved } | string {
  if (!isObject(record)) throw new MalformedMessageError(`Records[${index}] is not an object`);
  const eventName = field<string>(record, "eventName", "string");
  if (field<string>(record, "eventSource", "string", true) !== "aws:s3") {
    return `Records[${index}] is not from aws:s3`;
  }
  if (eventName.startsWith("ObjectRemoved:")) {
    try {
      return {
        removed: {
          bucket: field<string>(record, "s3.bucket.name", "string"),
          key: decodeS3Key(field<string>(record, "s3.object.key", "string")),
          versionId: field<string>(record, "s3.object.versionId", "string", true),
          sequencer: field<string>(record, "s3.object.sequencer", "string", true),
          eventName,
        },
      };
    } catch (error) {
      throw new MalformedMessageError(`Records[${index}]: ${(error as Error).message}`);
    }
  }
  if (!eventName.startsWith("ObjectCreated:"))
    return `Records[${index}] is ${eventName}, not ObjectCreated or ObjectRemoved`;
  try {
    return {
      bucket: field<string>(record, "s3.bucket.name", "string"),
      key: decodeS3Key(field<string>(record, "s3.object.key", "string")),
      size: field<number>(record, "s3.object.size", "number", true),
      eTag: field<string>(record, "s3.object.eTag", "string", true),
      versionId: field<string>(record, "s3.object.versionId", "string", true),
      sequencer: field<string>(record, "s3.object.sequencer", "string", true),
      eventName,
      eventTime: field<string>(record, "eventTime", "string", true),
    };
  } catch (error) {
    throw new MalformedMessageError(`Records[${index}]: ${(error as Error).message}`);
  }
}

function fromEventBridge(event: Json): ParsedMessage {
  if (event["detail-type"] !== "Object Created") {
    return {
      kind: "ignored",
      reason: `EventBridge event "${String(event["detail-type"])}" is not Object Created`,
    };
  }
  const key = field<string>(event, "detail.object.key", "string");
  let alternate: string | undefined;
  try {
    alternate = decodeS3Key(key);
  } catch {
    alternate = undefined;
  }
  return {
    kind: "objects",
    skipped: [],
    removals: [],
    objects: [
      {
        bucket: field<string>(event, "detail.bucket.name", "string"),
        key,
        alternateKey: alternate !== key ? alternate : undefined,
        size: field<number>(event, "detail.object.size", "number", true),
        eTag: field<string>(event, "detail.object.etag", "string", true),
        versionId: field<string>(event, "detail.object.version-id", "string", true),
        sequencer: field<string>(event, "detail.object.sequencer", "string", true),
        eventName: `ObjectCreated:${field<string>(event, "detail.reason", "string", true) ?? "EventBridge"}`,
        eventTime: field<string>(event, "time", "string", true),
      },
    ],
  };
}

/** Parses one SQS message body; throws MalformedMessageError saying what is wrong. */
export function parseMessage(body: string): ParsedMessage {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch (error) {
    throw new MalformedMessageError(`message body is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(event)) throw new MalformedMessageError("message body is not a JSON object");
  if (event.Event === "s3:TestEvent") return { kind: "test" };
  if (event.source === "aws.s3" && "detail" in event) return fromEventBridge(event);
  if (!("Records" in event)) {
    throw new MalformedMessageError(
      "message body is neither an S3 notification (Records) nor an EventBridge event",
    );
  }
  if (!Array.isArray(event.Records) || event.Records.length === 0) {
    throw new MalformedMessageError("Records is not a non-empty array");
  }
  const objects: ObjectCreated[] = [];
  const removals: ObjectRemoved[] = [];
  const skipped: string[] = [];
  event.Records.forEach((record, index) => {
    const parsed = fromS3Record(record, index);
    if (typeof parsed === "string") skipped.push(parsed);
    else if ("removed" in parsed) removals.push(parsed.removed);
    else objects.push(parsed);
  });
  return { kind: "objects", objects, removals, skipped };
}
