// The S3 the contenders share: the embedded emulator behind the proxy that
// adds a round trip's latency and a connection's bandwidth to every request,
// both in a child process (bench/s3-process.ts), and a direct client for
// setup, which the contenders' counts must not see.
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  type S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { createS3Client } from "../function/ranges/s3-client";
import { uploadObject, type UploadBody } from "../local/upload";
import type { S3Endpoints } from "./s3-process";

export interface NetworkSettings {
  latencyMs: number;
  bytesPerSecond: number;
}

export interface BenchS3 {
  /** Through the proxy: what the contenders use. */
  s3: S3Client;
  /** The proxy's endpoint, for processes of their own. */
  endpoint: string;
  /** The process serving S3, whose CPU time the report shows apart. */
  pid: number;
  put(bucket: string, key: string, body: UploadBody): Promise<void>;
  remove(bucket: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBenchS3(
  network: NetworkSettings,
  buckets: readonly string[],
): Promise<BenchS3> {
  // fork() reuses this process's execArgv, hence tsx's loader for the .ts entry
  const child = fork(join(__dirname, "s3-process.ts"), [JSON.stringify(network)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const endpoints = await firstMessage(child);
  const config = (endpoint: string): S3ClientConfig => ({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  const s3 = createS3Client(config(endpoints.proxy));
  const direct = createS3Client(config(endpoints.emulator));
  for (const bucket of buckets) await direct.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    s3,
    endpoint: endpoints.proxy,
    pid: child.pid ?? -1,
    put: async (bucket, key, body) => {
      await uploadObject(direct, bucket, key, body);
    },
    remove: async (bucket, key) => {
      await direct.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    },
    stop: async () => {
      s3.destroy();
      direct.destroy();
      const exited = once(child, "exit");
      child.disconnect();
      await exited;
    },
  };
}

function firstMessage(child: ChildProcess): Promise<S3Endpoints> {
  return new Promise((resolve, reject) => {
    child.once("message", (message) => resolve(message as S3Endpoints));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`the bench's S3 process exited (code ${code})`)));
  });
}
