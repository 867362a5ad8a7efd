// A real S3 server for tests: the embedded emulator behind the logging,
// fault-injecting proxy, and an SDK client pointed at it.
import { CreateBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { createS3Client } from "../../function/ranges/s3-client";
import { startEmulator, type Emulator } from "../../local/emulator";
import { S3Proxy } from "../../local/s3-proxy";
import { uploadObject, type UploadBody } from "../../local/upload";

export const TEST_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export interface LocalS3 {
  emulator: Emulator;
  proxy: S3Proxy;
  s3: S3Client;
  /** A client that bypasses the proxy: for setup the request log should not see. */
  direct: S3Client;
  put(bucket: string, key: string, body: UploadBody): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalS3(buckets: string[] = ["uploads"]): Promise<LocalS3> {
  const emulator = await startEmulator();
  const proxy = await new S3Proxy({ target: emulator.endpoint }).start();
  const client = (endpoint: string): S3Client =>
    createS3Client({ endpoint, region: "us-east-1", credentials: TEST_CREDENTIALS });
  const s3 = client(proxy.endpoint);
  const direct = client(emulator.endpoint);
  for (const bucket of buckets) await direct.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    emulator,
    proxy,
    s3,
    direct,
    put: async (bucket, key, body) => {
      await uploadObject(direct, bucket, key, body);
    },
    stop: async () => {
      s3.destroy();
      direct.destroy();
      await proxy.stop();
      await emulator.stop();
    },
  };
}
