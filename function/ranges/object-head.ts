// One HeadObject, as an ObjectInfo: what the range source falls back to for
// an empty object, and what describes an archived object, whose bytes S3
// will not serve but whose size, ETag and storage class it still tells.
import { HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { ObjectInfo } from "./byte-source";
import { classifyS3Error } from "./s3-errors";
import type { S3ObjectRef } from "./s3-range-source";

export interface ObjectHead extends ObjectInfo {
  /** Absent for STANDARD: S3 leaves the header out then. */
  storageClass?: string;
}

export async function headObject(
  client: S3Client,
  object: S3ObjectRef,
  signal?: AbortSignal,
): Promise<ObjectHead> {
  try {
    const response = await client.send(
      new HeadObjectCommand({
        Bucket: object.bucket,
        Key: object.key,
        VersionId: object.versionId,
      }),
      { abortSignal: signal },
    );
    return {
      size: response.ContentLength ?? 0,
      lastModified: response.LastModified ?? new Date(0),
      eTag: response.ETag,
      versionId: response.VersionId,
      storageClass: response.StorageClass,
    };
  } catch (error) {
    throw classifyS3Error(error, `s3://${object.bucket}/${object.key}`);
  }
}
