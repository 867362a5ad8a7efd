// The function's whole contract with whatever runs it: the environment
// variables built here from typed settings are the ones config.ts parses
// back. The Pulumi stack, `npm start` and `npm run test:image` all build
// them here, so the local pipeline runs with the stack's caps. No Pulumi
// import: local/ and scripts/ load this without the SDK.

/** The service name Powertools stamps on logs and metrics. */
export const SERVICE_NAME = "s3-exiftool";

export interface FunctionSettings {
  /** The buckets whose objects the function may read; messages about any other are refused. */
  uploadBuckets: readonly string[];
  resultsBucket: string;
  resultsPrefix: string;
  exiftoolOptions: readonly string[];
  exiftoolWorkers: number;
  /** Each Perl worker's memory cap; 0 for none. */
  maxWorkerRssMb: number;
  /** Each object's own time on a worker, in milliseconds; 0 for none but the invocation's. */
  objectTimeoutMs: number;
  logLevel: string;
  metricsNamespace: string;
  /** Set only when results are announced on EventBridge. */
  eventBusName?: string;
}

/**
 * The settings that decide whether an object fits (memory, time): a result
 * that records a failure records them, and backfill --stale tries such an
 * object again once the stack's differ.
 */
export type ExtractionLimits = Pick<
  FunctionSettings,
  "objectTimeoutMs" | "maxWorkerRssMb" | "exiftoolWorkers"
>;

export function functionEnvironment(settings: FunctionSettings): Record<string, string> {
  const variables: Record<string, string> = {
    UPLOAD_BUCKETS: settings.uploadBuckets.join(","),
    RESULTS_BUCKET: settings.resultsBucket,
    RESULTS_PREFIX: settings.resultsPrefix,
    EXIFTOOL_OPTIONS: JSON.stringify(settings.exiftoolOptions),
    EXIFTOOL_WORKERS: String(settings.exiftoolWorkers),
    MAX_WORKER_RSS_MB: String(settings.maxWorkerRssMb),
    OBJECT_TIMEOUT_MS: String(settings.objectTimeoutMs),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    LOG_LEVEL: settings.logLevel,
  };
  if (settings.eventBusName !== undefined) variables.EVENT_BUS_NAME = settings.eventBusName;
  return variables;
}
