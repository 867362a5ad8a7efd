// The function's settings, read from environment variables (which the Pulumi
// program sets) once at cold start. A missing or invalid one stops the
// function with a message naming it.
import { availableParallelism } from "node:os";
import type { ExtractionLimits } from "./environment";
import { OptionError, validateExiftoolOptions } from "./exiftool/options";
import { annotationNameProblem } from "./results/annotation-rules";

/** Where results go: today's result objects, S3 annotations on the objects themselves, or both. */
export const RESULT_DESTINATIONS = ["bucket", "annotation", "both"] as const;
export type ResultDestination = (typeof RESULT_DESTINATIONS)[number];
export const DEFAULT_ANNOTATION_NAME = "exiftool";

/** The annotation results are written to under these settings (as env values), if any. */
export function writtenAnnotation(
  destination: string | undefined,
  name: string | undefined,
): string | undefined {
  if (destination !== "annotation" && destination !== "both") return undefined;
  return name || DEFAULT_ANNOTATION_NAME;
}

export interface FunctionConfig {
  /** The only buckets a message may name; any other is refused without a read. */
  uploadBuckets: string[];
  resultsBucket: string;
  resultsPrefix: string;
  resultDestination: ResultDestination;
  /** The annotation's name when the destination includes annotations. */
  annotationName: string;
  /** Publish an EventBridge event per result when set. */
  eventBusName?: string;
  exiftoolOptions: string[];
  workers: number;
  /** Time kept back from the Lambda deadline to report results and failures. */
  reserveMs: number;
  /**
   * Each object's own time on a worker; 0: none but the invocation's. The
   * stack derives it from the timeout, batch size and workers, so that a
   * full batch of objects that each spend it all still ends in time.
   */
  objectTimeoutMs: number;
  maxWorkerRssBytes?: number;
  /** An object that ran out of maxWorkerRssBytes gets one more try alone, with this limit. */
  aloneWorkerRssBytes?: number;
  /** The settings that bound an extraction, as a failure record names them. */
  limits: ExtractionLimits;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

function integer(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      `${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}

function exiftoolOptions(raw: string | undefined): string[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(
      `EXIFTOOL_OPTIONS must be a JSON array of strings, got ${JSON.stringify(raw)}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.some((item) => typeof item !== "string")) {
    throw new ConfigError(
      `EXIFTOOL_OPTIONS must be a JSON array of strings, got ${JSON.stringify(raw)}`,
    );
  }
  try {
    return validateExiftoolOptions(parsed as string[]);
  } catch (error) {
    if (error instanceof OptionError) throw new ConfigError(`EXIFTOOL_OPTIONS: ${error.message}`);
    throw error;
  }
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function uploadBuckets(raw: string | undefined): string[] {
  const names = (raw ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0) {
    throw new ConfigError(
      "UPLOAD_BUCKETS is not set: name the bucket(s) uploads arrive in, comma-separated",
    );
  }
  const bad = names.find((name) => !BUCKET_NAME.test(name));
  if (bad !== undefined) {
    throw new ConfigError(`UPLOAD_BUCKETS: ${JSON.stringify(bad)} is not a valid bucket name`);
  }
  return names;
}

function resultDestination(raw: string | undefined): ResultDestination {
  if (raw === undefined || raw === "") return "bucket";
  if ((RESULT_DESTINATIONS as readonly string[]).includes(raw)) return raw as ResultDestination;
  throw new ConfigError(
    `RESULT_DESTINATION must be one of ${RESULT_DESTINATIONS.join(", ")}, got ${JSON.stringify(raw)}`,
  );
}

function annotationName(raw: string | undefined): string {
  if (raw === undefined || raw === "") return DEFAULT_ANNOTATION_NAME;
  const problem = annotationNameProblem(raw);
  if (problem) throw new ConfigError(`ANNOTATION_NAME ${JSON.stringify(raw)}: ${problem}`);
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const resultsBucket = env.RESULTS_BUCKET;
  if (!resultsBucket)
    throw new ConfigError("RESULTS_BUCKET is not set: name the bucket results are written to");
  if (!BUCKET_NAME.test(resultsBucket)) {
    throw new ConfigError(
      `RESULTS_BUCKET ${JSON.stringify(resultsBucket)} is not a valid bucket name`,
    );
  }
  const resultsPrefix = env.RESULTS_PREFIX ?? "";
  if (resultsPrefix.startsWith("/")) {
    throw new ConfigError(
      `RESULTS_PREFIX must not start with "/", got ${JSON.stringify(resultsPrefix)}`,
    );
  }
  const maxRssMb = integer(env, "MAX_WORKER_RSS_MB", 0, 0, 10_240);
  const workers = integer(env, "EXIFTOOL_WORKERS", Math.max(2, availableParallelism()), 1, 64);
  const objectTimeoutMs = integer(env, "OBJECT_TIMEOUT_MS", 0, 0, 900_000);
  const MiB = 1024 * 1024;
  return {
    uploadBuckets: uploadBuckets(env.UPLOAD_BUCKETS),
    resultsBucket,
    resultsPrefix,
    resultDestination: resultDestination(env.RESULT_DESTINATION),
    annotationName: annotationName(env.ANNOTATION_NAME),
    eventBusName: env.EVENT_BUS_NAME || undefined,
    exiftoolOptions: exiftoolOptions(env.EXIFTOOL_OPTIONS),
    workers,
    reserveMs: integer(env, "DEADLINE_RESERVE_MS", 5_000, 0, 60_000),
    objectTimeoutMs,
    maxWorkerRssBytes: maxRssMb ? maxRssMb * MiB : undefined,
    // the workers' memory together: the others exit while it runs
    aloneWorkerRssBytes: maxRssMb && workers > 1 ? maxRssMb * workers * MiB : undefined,
    limits: { objectTimeoutMs, maxWorkerRssMb: maxRssMb, exiftoolWorkers: workers },
  };
}
