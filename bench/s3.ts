// The S3 the contenders share: the embedded emulator behind the proxy that
// adds a round trip's latency and a connection's bandwidth to every request,
// and a direct client for setup, which the contenders' counts must not see.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  type S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { createS3Client } from "../function/ranges/s3-client";
import { startEmulator, type Emulator } from "../local/emulator";
import { S3Proxy } from "../local/s3-proxy";
import { uploadObject, type UploadBody } from "../local/upload";

export interface NetworkSettings {
  latencyMs: number;
  bytesPerSecond: number;
}

export interface BenchS3 {
  /** Through the proxy: what the contenders use. */
  s3: S3Client;
  proxy: S3Proxy;
  put(bucket: string, key: string, body: UploadBody): Promise<void>;
  remove(bucket: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchS3(
  network: NetworkSettings,
  buckets: readonly string[],
): Promise<BenchS3> {
  const emulator: Emulator = await startEmulator();
  const proxy = await new S3Proxy({
    target: emulator.endpoint,
    latencyMs: network.latencyMs,
    bytesPerSecond: network.bytesPerSecond,
  }).start();
  const config = (endpoint: string): S3ClientConfig => ({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  const s3 = createS3Client(config(proxy.endpoint));
  const direct = createS3Client(config(emulator.endpoint));
  for (const bucket of buckets) await direct.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    s3,
    proxy,
    put: async (bucket, key, body) => {
      await uploadObject(direct, bucket, key, body);
    },
    remove: async (bucket, key) => {
      await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    stop: async () => {
      s3.destroy();
      direct.destroy();
      await proxy.stop();
      await emulator.stop();
    },
  };
}
