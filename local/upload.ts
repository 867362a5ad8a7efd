// Uploads with the SDK's managed multipart upload, so that files of any size
// go up in parts the way `aws s3 cp` sends them.
import { Readable } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";

export type UploadBody = Buffer | Readable | Iterable<Buffer>;

export interface UploadResult {
  eTag?: string;
}

export async function uploadObject(
  s3: S3Client,
  bucket: string,
  key: string,
  body: UploadBody,
  onProgress?: (loaded: number, total?: number) => void,
): Promise<UploadResult> {
  const stream = Buffer.isBuffer(body) || body instanceof Readable ? body : Readable.from(body);
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: stream },
    partSize: 8 * 1024 * 1024,
    queueSize: 2,
  });
  if (onProgress)
    upload.on("httpUploadProgress", (progress) => onProgress(progress.loaded ?? 0, progress.total));
  const result = await upload.done();
  return { eTag: result.ETag };
}
