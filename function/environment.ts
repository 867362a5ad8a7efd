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
  /** bucket (the default), annotation or both; see function/config.ts. */
  resultDestination?: "bucket" | "annotation" | "both";
  /** The annotation's name; the function's default (exiftool) when unset. */
  annotationName?: string;
  exiftoolOptions: readonly string[];
  exiftoolWorkers: number;
  /** Each Perl worker's memory cap; 0 for none. */
  maxWorkerRssMb: number;
  logLevel: string;
  metricsNamespace: string;
  /** Set only when results are announced on EventBridge. */
  eventBusName?: string;
}

export function functionEnvironment(settings: FunctionSettings): Record<string, string> {
  const variables: Record<string, string> = {
    UPLOAD_BUCKETS: settings.uploadBuckets.join(","),
    RESULTS_BUCKET: settings.resultsBucket,
    RESULTS_PREFIX: settings.resultsPrefix,
    EXIFTOOL_OPTIONS: JSON.stringify(settings.exiftoolOptions),
    EXIFTOOL_WORKERS: String(settings.exiftoolWorkers),
    MAX_WORKER_RSS_MB: String(settings.maxWorkerRssMb),
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    LOG_LEVEL: settings.logLevel,
  };
  if (settings.eventBusName !== undefined) variables.EVENT_BUS_NAME = settings.eventBusName;
  if (settings.resultDestination !== undefined)
    variables.RESULT_DESTINATION = settings.resultDestination;
  if (settings.annotationName !== undefined) variables.ANNOTATION_NAME = settings.annotationName;
  return variables;
}
