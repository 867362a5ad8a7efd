// A stack's settings as the function sees them (function/environment.ts).
// Pure, no Pulumi import: the stack, `npm start` and `npm run test:image`
// derive the function's environment from a stack file through this one map.
import type { FunctionSettings } from "../function/environment";
import { workerMemoryCapMb, type Settings } from "./config";

export function stackFunctionSettings(
  settings: Settings,
  buckets: { uploadBucket: string; resultsBucket: string },
): FunctionSettings {
  return {
    uploadBuckets: [buckets.uploadBucket],
    resultsBucket: buckets.resultsBucket,
    resultsPrefix: settings.resultsPrefix,
    exiftoolOptions: settings.exiftoolOptions,
    exiftoolWorkers: settings.exiftoolWorkers,
    maxWorkerRssMb: workerMemoryCapMb(settings.memorySize, settings.exiftoolWorkers),
    logLevel: settings.logLevel,
    metricsNamespace: settings.metricsNamespace,
    resultDestination: settings.resultDestination,
    annotationName: settings.annotationName,
    ...(settings.enableEventBridge ? { eventBusName: settings.eventBusName } : {}),
  };
}
