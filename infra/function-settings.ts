// A stack's settings as the function sees them (function/environment.ts).
// Pure, no Pulumi import: the stack, `npm start` and `npm run test:image`
// derive the function's environment from a stack file through this one map.
import type { ExtractionLimits, FunctionSettings } from "../function/environment";
import { objectTimeoutMs, workerMemoryCapMb, type Settings } from "./config";

export function stackFunctionSettings(
  settings: Settings,
  buckets: { uploadBucket: string; resultsBucket: string },
): FunctionSettings {
  return {
    uploadBuckets: [buckets.uploadBucket],
    resultsBucket: buckets.resultsBucket,
    resultsPrefix: settings.resultsPrefix,
    exiftoolOptions: settings.exiftoolOptions,
    ...stackExtractionLimits(settings),
    logLevel: settings.logLevel,
    metricsNamespace: settings.metricsNamespace,
    ...(settings.enableEventBridge ? { eventBusName: settings.eventBusName } : {}),
  };
}

/** The limits the function records in a failed result (a stack output, for backfill --stale). */
export function stackExtractionLimits(settings: Settings): ExtractionLimits {
  return {
    objectTimeoutMs: objectTimeoutMs(settings),
    maxWorkerRssMb: workerMemoryCapMb(settings.memorySize, settings.exiftoolWorkers),
    exiftoolWorkers: settings.exiftoolWorkers,
  };
}
