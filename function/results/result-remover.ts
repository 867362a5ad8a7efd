// A removed object's result goes too (bucket destination; S3 removes
// annotations with their object by itself). Only a result that no longer
// describes the object at the key is deleted: after a late removal event,
// a re-upload's fresh result (same ETag and version as the object now there)
// stays. The delete is conditional on the result's own ETag as read, so a
// result rewritten meanwhile is never deleted either.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { ObjectRemoved } from "../events/object-created";
import { resultKey } from "./result-record";
import { RESULT_MARKER } from "./s3-result-sink";

export type Removal =
  /** the result described no object that exists now: deleted */
  | "deleted"
  /** the result describes the object now at the key (a re-upload): kept */
  | "kept-current"
  /** changed between the check and the delete, or not written by us: kept */
  | "kept-changed"
  | "kept-foreign"
  | "no-result";

interface SdkError {
  name?: string;
  $metadata?: { httpStatusCode?: number };
}

const status = (error: unknown): number | undefined =>
  (error as SdkError).$metadata?.httpStatusCode;
const unquote = (eTag?: string): string | undefined => eTag?.replace(/"/g, "");

export class ResultRemover {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async remove(removed: ObjectRemoved): Promise<{ removal: Removal; resultKey: string }> {
    const key = resultKey(this.prefix, removed.key);
    const outcome = (removal: Removal) => ({ removal, resultKey: key });
    let result;
    try {
      result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      // 403: the role cannot list the results bucket, so S3 hides a missing key behind it
      if (status(error) === 404 || status(error) === 403) return outcome("no-result");
      throw error;
    }
    if (result.Metadata?.[RESULT_MARKER] === undefined) {
      await result.Body?.transformToString();
      return outcome("kept-foreign");
    }
    const record = JSON.parse(await result.Body!.transformToString()) as {
      eTag?: string;
      versionId?: string;
    };
    const current = await this.currentObject(removed);
    if (
      current &&
      unquote(current.ETag) === record.eTag &&
      (current.VersionId ?? undefined) === (record.versionId ?? undefined)
    ) {
      return outcome("kept-current");
    }
    try {
      await this.s3.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: key, IfMatch: result.ETag }),
      );
    } catch (error) {
      if (status(error) === 412) return outcome("kept-changed");
      throw error;
    }
    return outcome("deleted");
  }

  /** The object at the key now, or undefined when there is none (deleted, or a delete marker). */
  private async currentObject(removed: ObjectRemoved) {
    try {
      return await this.s3.send(
        new HeadObjectCommand({ Bucket: removed.bucket, Key: removed.key }),
      );
    } catch (error) {
      // 405: a delete marker is current. 403: without s3:ListBucket S3 hides a
      // missing key behind it, and the role may read every upload (it just did)
      if ([403, 404, 405].includes(status(error) ?? 0)) return undefined;
      throw error;
    }
  }
}
