// The whole pipeline in this process: emulator, the proxy every client
// talks to (and which turns uploads into notifications), the stack's
// topology, the real handler and the event source mapping feeding it.
// `npm start` and the end-to-end tests both start it here.
import { S3Client } from "@aws-sdk/client-s3";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createHandler, type HandlerRuntime } from "../function/handler";
import { createS3Client } from "../function/ranges/s3-client";
import type { LocalSettings } from "./config";
import { startEmulator, type Emulator } from "./emulator";
import { EventSourceMapping, type BatchReport } from "./event-source-mapping";
import { BucketNotifications } from "./notifications";
import { S3Proxy } from "./s3-proxy";
import { createTopology, type Topology } from "./topology";
import { DEFAULT_PORT } from "./default-port";

export const LOCAL_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" };

export type BatchListener = (report: BatchReport) => void | Promise<void>;

export interface PipelineOptions {
  settings: LocalSettings;
  /** Where the proxy listens on 127.0.0.1; 0 picks a free port. */
  port?: number;
  /** The handler's own log level (Powertools); its INFO lines go to stdout. */
  handlerLogLevel?: string;
  /** Bound on waiting for the in-flight batch at stop(); the function timeout by default. */
  stopTimeoutMs?: number;
  onBatch?: BatchListener;
  onWarning?: (message: string) => void;
}

export interface Pipeline {
  /** The proxy: what every S3 and SQS client should use. */
  endpoint: string;
  settings: LocalSettings;
  topology: Topology;
  /** Through the proxy, so its uploads notify. */
  s3: S3Client;
  /** Straight to the emulator: reads that the proxy log and faults should not see. */
  direct: S3Client;
  sqs: SQSClient;
  proxy: S3Proxy;
  notifications: BucketNotifications;
  mapping: EventSourceMapping;
  runtime: HandlerRuntime;
  /** Called after each batch, once its successes are deleted, in order. */
  onBatch(listener: BatchListener): void;
  stop(): Promise<void>;
}

function clients(endpoint: string, region: string): { s3: S3Client; sqs: SQSClient } {
  const config = { endpoint, region, credentials: LOCAL_CREDENTIALS };
  return { s3: createS3Client(config), sqs: new SQSClient(config) };
}

/**
 * The handler's SDK clients take credentials and region from the default
 * chain, and Powertools reads its log level from process.env, not from the
 * env handed to createHandler: set them for this process while the pipeline
 * runs. Returns what puts the previous values back.
 */
function prepareProcessEnv(settings: LocalSettings, handlerLogLevel: string): () => void {
  const values: Record<string, string | undefined> = {
    AWS_REGION: settings.region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    POWERTOOLS_LOG_LEVEL: handlerLogLevel,
    // metrics are CloudWatch EMF lines on stdout: noise without CloudWatch
    POWERTOOLS_METRICS_DISABLED: "true",
  };
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}

async function withBound<T>(work: Promise<T>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true as const), bound]);
  } finally {
    clearTimeout(timer);
  }
}

export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const { settings } = options;
  const warn = options.onWarning ?? ((message: string) => console.error(message));
  const cleanups: (() => Promise<void> | void)[] = [
    prepareProcessEnv(settings, options.handlerLogLevel ?? "WARN"),
  ];
  const cleanup = async (): Promise<void> => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const emulator: Emulator = await startEmulator();
    cleanups.push(() => emulator.stop());
    const proxy = await new S3Proxy({
      target: emulator.endpoint,
      port: options.port ?? DEFAULT_PORT,
    }).start();
    cleanups.push(() => proxy.stop());

    const viaProxy = clients(proxy.endpoint, settings.region);
    const direct = clients(emulator.endpoint, settings.region);
    cleanups.push(() => {
      for (const client of [viaProxy.s3, viaProxy.sqs, direct.s3, direct.sqs]) client.destroy();
    });
    const topology = await createTopology(viaProxy.s3, viaProxy.sqs, settings);

    const notifications = new BucketNotifications({
      bucket: topology.uploadBucket,
      region: settings.region,
      queueUrl: topology.queueUrl,
      filterPrefix: settings.filterPrefix,
      filterSuffix: settings.filterSuffix,
      s3: direct.s3,
      sqs: direct.sqs,
      onError: (error, key) => warn(`notification for ${key} not sent: ${String(error)}`),
    }).attach(proxy);

    // the stack's environment (function/environment.ts), caps included
    const runtime = createHandler({
      ...process.env,
      ...settings.functionEnvironment,
      // the handler reads through the proxy: its log and faults see the engine
      AWS_ENDPOINT_URL_S3: proxy.endpoint,
    });
    cleanups.push(() => runtime.close());

    const batchListeners: BatchListener[] = options.onBatch ? [options.onBatch] : [];
    const mapping = new EventSourceMapping({
      sqs: direct.sqs,
      queueUrl: topology.queueUrl,
      queueArn: topology.queueArn,
      region: settings.region,
      handler: runtime.handler,
      functionName: settings.functionName,
      timeoutSeconds: settings.timeoutSeconds,
      memorySize: settings.memorySize,
      batchSize: settings.batchSize,
      maximumBatchingWindowSeconds: settings.maximumBatchingWindowSeconds,
      onBatch: async (report) => {
        for (const listener of batchListeners) await listener(report);
      },
      onError: (error) => warn(`event source mapping: ${String(error)}`),
    }).start();

    const stopTimeoutMs = options.stopTimeoutMs ?? settings.timeoutSeconds * 1000;
    let stopped: Promise<void> | undefined;
    const stop = async (): Promise<void> => {
      if (!(await withBound(mapping.stop(), stopTimeoutMs))) {
        warn(`the batch in flight did not finish within ${stopTimeoutMs} ms; stopping anyway`);
      }
      await withBound(notifications.drain(), 5000);
      await cleanup();
    };
    return {
      endpoint: proxy.endpoint,
      settings,
      topology,
      s3: viaProxy.s3,
      direct: direct.s3,
      sqs: direct.sqs,
      proxy,
      notifications,
      mapping,
      runtime,
      onBatch: (listener) => batchListeners.push(listener),
      stop: () => (stopped ??= stop()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
