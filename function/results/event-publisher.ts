// Optionally announces each stored result on an EventBridge bus, so other
// functions can react to new metadata. EventBridge takes at most 256 KB per
// entry: the metadata rides along when it fits, else only the pointer to
// the stored result does.
import { PutEventsCommand, type EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { stringifyWithExifToolJson, type ExifToolJson } from "../exiftool/exiftool-json";
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from "./event-names";
import type { ResultRecord } from "./result-record";
import type { StoredResult } from "./result-sink";

const MAX_ENTRY_BYTES = 256 * 1024;

export interface ResultEventDetail {
  object: { bucket: string; key: string; versionId?: string; eTag?: string; size: number };
  result: { bucket: string; key: string };
  exiftoolVersion: string;
  exiftoolOptions: string[];
  status: ResultRecord["status"];
  /** Absent when the event would pass EventBridge's size limit: read `result` instead. */
  metadata?: ExifToolJson;
}

export function buildDetail(result: ResultRecord, stored: StoredResult): string {
  const detail: ResultEventDetail = {
    object: {
      bucket: result.bucket,
      key: result.key,
      versionId: result.versionId,
      eTag: result.eTag,
      size: result.size,
    },
    result: { bucket: stored.bucket, key: stored.key },
    exiftoolVersion: result.exiftoolVersion,
    exiftoolOptions: result.exiftoolOptions,
    status: result.status,
    metadata: result.metadata,
  };
  const full = stringifyWithExifToolJson(detail);
  // source, detail-type and bus name count toward the limit too
  const overhead = EVENT_SOURCE.length + EVENT_DETAIL_TYPE.length + 512;
  if (Buffer.byteLength(full) + overhead <= MAX_ENTRY_BYTES) return full;
  return JSON.stringify({ ...detail, metadata: undefined });
}

export class EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(result: ResultRecord, stored: StoredResult): Promise<void> {
    const response = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: EVENT_SOURCE,
            DetailType: EVENT_DETAIL_TYPE,
            Detail: buildDetail(result, stored),
            Resources: [`arn:aws:s3:::${result.bucket}`],
          },
        ],
      }),
    );
    const failed = response.Entries?.find((entry) => entry.ErrorCode);
    if (response.FailedEntryCount || failed) {
      throw new Error(
        `EventBridge refused the result event: ${failed?.ErrorCode}: ${failed?.ErrorMessage}`,
      );
    }
  }
}
