// The notification JSON S3 sends to SQS for a created object, field for
// field, so the handler parses locally exactly what it parses on AWS.
// Recorded real examples and their sources: test/local/fixtures/.

export type CreatedEventName =
  | "ObjectCreated:Put"
  | "ObjectCreated:Post"
  | "ObjectCreated:Copy"
  | "ObjectCreated:CompleteMultipartUpload";

export const LOCAL_ACCOUNT_ID = "000000000000";

// Left as they are: what Java's URLEncoder (form encoding) leaves alone,
// plus "/", which S3 does not escape in notification keys.
const LITERAL = new Set(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.*/"
    .split("")
    .map((char) => char.charCodeAt(0)),
);

/**
 * A key as S3 writes it into s3.object.key: form encoding of the UTF-8
 * bytes (space is "+", so a literal "+" is "%2B"), upper-case hex, "/" kept.
 */
export function encodeS3EventKey(key: string): string {
  let encoded = "";
  for (const byte of Buffer.from(key, "utf8")) {
    if (LITERAL.has(byte)) encoded += String.fromCharCode(byte);
    else if (byte === 0x20) encoded += "+";
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

let lastSequencer = 0n;

/**
 * S3's sequencer orders events for one key: a hex string that grows with
 * each write. Time-based and strictly increasing here, so it grows per key
 * and across restarts of the emulator.
 */
export function nextSequencer(now = Date.now()): string {
  const candidate = BigInt(now) << 16n;
  lastSequencer = candidate > lastSequencer ? candidate : lastSequencer + 1n;
  return lastSequencer.toString(16).toUpperCase().padStart(18, "0");
}

export interface CreatedObject {
  bucket: string;
  /** Decoded key, as S3 APIs take it. */
  key: string;
  size: number;
  /** Without quotes, as S3 puts it in the event. */
  eTag: string;
  versionId?: string;
  sequencer: string;
}

export interface EventContext {
  eventName: CreatedEventName;
  region: string;
  eventTime: Date;
  configurationId: string;
  requestId: string;
  hostId: string;
  sourceIPAddress: string;
}

export interface S3EventRecord {
  eventVersion: string;
  eventSource: "aws:s3";
  awsRegion: string;
  eventTime: string;
  eventName: CreatedEventName;
  userIdentity: { principalId: string };
  requestParameters: { sourceIPAddress: string };
  responseElements: { "x-amz-request-id": string; "x-amz-id-2": string };
  s3: {
    s3SchemaVersion: "1.0";
    configurationId: string;
    bucket: { name: string; ownerIdentity: { principalId: string }; arn: string };
    object: { key: string; size: number; eTag: string; versionId?: string; sequencer: string };
  };
}

/** One Records entry, in S3's field order. */
export function s3EventRecord(object: CreatedObject, context: EventContext): S3EventRecord {
  return {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: context.region,
    eventTime: context.eventTime.toISOString(),
    eventName: context.eventName,
    userIdentity: { principalId: `AWS:${LOCAL_ACCOUNT_ID}` },
    requestParameters: { sourceIPAddress: context.sourceIPAddress },
    responseElements: { "x-amz-request-id": context.requestId, "x-amz-id-2": context.hostId },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: context.configurationId,
      bucket: {
        name: object.bucket,
        ownerIdentity: { principalId: LOCAL_ACCOUNT_ID },
        arn: `arn:aws:s3:::${object.bucket}`,
      },
      object: {
        key: encodeS3EventKey(object.key),
        size: object.size,
        eTag: object.eTag,
        // S3 names a version only in versioned buckets
        ...(object.versionId ? { versionId: object.versionId } : {}),
        sequencer: object.sequencer,
      },
    },
  };
}

/** The SQS message body: S3 sends one record per message. */
export function s3EventBody(object: CreatedObject, context: EventContext): string {
  return JSON.stringify({ Records: [s3EventRecord(object, context)] });
}
