// The local pipeline's settings: the same Pulumi.<stack>.yaml the stack is
// deployed from, validated by the same parseSettings, so `npm start` batches,
// retries, times out and extracts as the deployed function would. The
// buckets are the stack's (its names, results in the upload bucket when it
// keeps them there); queue names are fixed, what runs only on AWS is named
// at start, and tests may shorten the clocks.
import * as path from "node:path";
import { functionEnvironment } from "../function/environment";
import { enablesS3Metadata, PROJECT, visibilityTimeoutFor, type Settings } from "../infra/config";
import { stackFunctionSettings } from "../infra/function-settings";
import { stackSettings } from "../infra/stack-file";

export const PROJECT_ROOT = path.resolve(__dirname, "..");

export interface LocalSettings {
  stack: string;
  region: string;
  uploadBucket: string;
  resultsBucket: string;
  queueName: string;
  deadLetterQueueName: string;
  functionName: string;
  resultsPrefix: string;
  filterPrefix: string;
  filterSuffix: string;
  exiftoolOptions: string[];
  exiftoolWorkers: number;
  logLevel: string;
  memorySize: number;
  batchSize: number;
  maximumBatchingWindowSeconds: number;
  maxReceiveCount: number;
  timeoutSeconds: number;
  visibilityTimeoutSeconds: number;
  /** What the stack would set on the function (function/environment.ts), for these buckets. */
  functionEnvironment: Record<string, string>;
  /** The stack's settings that only AWS runs, each with why: `npm start` names them. */
  notLocal: string[];
}

/** What tests (and only tests) change to keep retries within seconds. */
export type SettingsOverrides = Partial<
  Pick<
    LocalSettings,
    | "timeoutSeconds"
    | "visibilityTimeoutSeconds"
    | "maxReceiveCount"
    | "batchSize"
    | "maximumBatchingWindowSeconds"
    | "exiftoolWorkers"
    | "resultsPrefix"
  >
>;

export function localSettings(
  stack: string,
  settings: Settings,
  overrides: SettingsOverrides = {},
): LocalSettings {
  const timeoutSeconds = overrides.timeoutSeconds ?? settings.timeout;
  const maximumBatchingWindowSeconds =
    overrides.maximumBatchingWindowSeconds ?? settings.maximumBatchingWindow;
  const buckets = localBuckets(settings);
  const effective: Settings = {
    ...settings,
    // the clocks the function's objectTimeout is derived from
    timeout: timeoutSeconds,
    batchSize: overrides.batchSize ?? settings.batchSize,
    exiftoolWorkers: overrides.exiftoolWorkers ?? settings.exiftoolWorkers,
    resultsPrefix: overrides.resultsPrefix ?? settings.resultsPrefix,
  };
  return {
    stack,
    region: "us-east-1",
    ...buckets,
    queueName: "uploads-queue",
    deadLetterQueueName: "uploads-dlq",
    functionName: `${PROJECT}-${stack}-local`,
    resultsPrefix: effective.resultsPrefix,
    filterPrefix: settings.filterPrefix,
    filterSuffix: settings.filterSuffix,
    exiftoolOptions: settings.exiftoolOptions,
    exiftoolWorkers: effective.exiftoolWorkers,
    logLevel: settings.logLevel,
    memorySize: settings.memorySize,
    batchSize: effective.batchSize,
    maximumBatchingWindowSeconds,
    maxReceiveCount: overrides.maxReceiveCount ?? settings.maxReceiveCount,
    timeoutSeconds,
    visibilityTimeoutSeconds:
      overrides.visibilityTimeoutSeconds ??
      visibilityTimeoutFor({
        timeout: timeoutSeconds,
        maximumBatchingWindow: maximumBatchingWindowSeconds,
      }),
    // no EventBridge bus runs locally
    functionEnvironment: functionEnvironment(
      stackFunctionSettings({ ...effective, enableEventBridge: false }, buckets),
    ),
    notLocal: notLocal(settings),
  };
}

/**
 * The stack's buckets under the names it gives them ("uploads" and "results"
 * where it lets Pulumi name them), results in the upload bucket when it keeps
 * them there: its loop protection (filter prefix, results prefix refused)
 * then runs here too.
 */
function localBuckets(settings: Settings): { uploadBucket: string; resultsBucket: string } {
  const uploadBucket = settings.uploadBucketName || "uploads";
  const resultsBucket = settings.resultsInUploadBucket
    ? uploadBucket
    : settings.resultsBucketName || "results";
  return { uploadBucket, resultsBucket };
}

/** What of the stack changes what a user sees on AWS but has nothing to run on here. */
function notLocal(settings: Settings): string[] {
  const lines: string[] = [];
  if (settings.enableEventBridge)
    lines.push(`enableEventBridge (no EventBridge bus: results are not announced)`);
  if (enablesS3Metadata(settings))
    lines.push(`s3Metadata (no S3 Metadata tables or Athena: annotations are stored, not queried)`);
  if (settings.alarmEmail !== "") lines.push(`alarmEmail (no CloudWatch alarms)`);
  return lines;
}

/** Settings of a stack file, with test overrides. */
export function loadLocalSettings(
  stack = "dev",
  overrides: SettingsOverrides = {},
  root = PROJECT_ROOT,
): LocalSettings {
  return localSettings(stack, stackSettings(root, stack), overrides);
}
