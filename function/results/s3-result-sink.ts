// Stores each result as JSON in the results bucket, at <prefix><key>.json
// (shortened for keys near S3's 1,024-byte limit, see result-key.ts):
// the same place every time, so processing a message twice overwrites.
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { resultKey, type ResultRecord } from "./result-record";

export interface StoredResult {
  bucket: string;
  key: string;
  bytes: number;
}

export class S3ResultSink {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async write(result: ResultRecord): Promise<StoredResult> {
    const key = resultKey(this.prefix, result.key);
    const body = JSON.stringify(result);
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: key,
        Body: body,
        ContentType: "application/json",
      }),
    );
    return { bucket: this.bucket, key, bytes: Buffer.byteLength(body) };
  }
}
