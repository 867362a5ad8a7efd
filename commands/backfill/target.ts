// What a backfill works on: the upload bucket and its notification filter,
// the results location, and the ExifTool release and options the deployed
// function records in each result (the stack's outputs on AWS, the stack
// file locally: both come from the config the function was deployed with).
import { loadConfig, writtenAnnotation } from "../../function/config";
import type { ExtractionLimits } from "../../function/environment";
import { exiftoolRelease } from "../../infra/backfill-contract";
import type { LocalSettings } from "../../local/config";
import type { Settings } from "../../infra/config";
import { UsageError } from "../command";
import type { StackOutputs } from "../ops/stack-outputs";

export interface Target {
  uploadBucket: string;
  resultsBucket: string;
  resultsPrefix: string;
  filterPrefix: string;
  filterSuffix: string;
  exiftoolVersion: string;
  exiftoolOptions: string[];
  /**
   * The limits a failed result is compared with; undefined when the stack's
   * outputs predate them, and then every failed result counts as stale.
   */
  limits?: ExtractionLimits;
  /** Set when the function writes annotations (RESULT_DESTINATION annotation or both): --missing and --stale read them. */
  annotationName?: string;
}

/** What a Batch Operations job needs besides. */
export interface BatchTarget extends Target {
  accountId: string;
  region: string;
  functionArn: string;
  roleArn: string;
}

export function batchTarget(outputs: StackOutputs): BatchTarget {
  return {
    uploadBucket: outputs.string("uploadBucketName"),
    resultsBucket: outputs.string("resultsBucketName"),
    resultsPrefix: outputs.string("resultsPrefix"),
    filterPrefix: outputs.string("filterPrefix"),
    filterSuffix: outputs.string("filterSuffix"),
    exiftoolVersion: outputs.string("exiftoolVersion"),
    exiftoolOptions: outputs.strings("exiftoolOptions"),
    limits: limitsOutput(outputs.values.extractionLimits),
    accountId: outputs.string("accountId"),
    region: outputs.string("region"),
    functionArn: outputs.string("functionArn"),
    roleArn: outputs.string("batchOperationsRoleArn"),
    // stacks from before result destinations existed have these outputs not
    annotationName: writtenAnnotation(
      optionalString(outputs.values.resultDestination),
      optionalString(outputs.values.annotationName),
    ),
  };
}

/** The `npm start` pipeline of a stack file. */
export function localTarget(local: LocalSettings, settings: Settings): Target {
  return {
    uploadBucket: local.uploadBucket,
    resultsBucket: local.resultsBucket,
    resultsPrefix: local.resultsPrefix,
    filterPrefix: local.filterPrefix,
    filterSuffix: local.filterSuffix,
    exiftoolVersion: exiftoolRelease(settings.exiftoolVersion),
    exiftoolOptions: local.exiftoolOptions,
    // what the local function records: parsed from its own environment
    limits: loadConfig(local.functionEnvironment).limits,
    annotationName: writtenAnnotation(
      local.functionEnvironment.RESULT_DESTINATION,
      local.functionEnvironment.ANNOTATION_NAME,
    ),
  };
}

function limitsOutput(value: unknown): ExtractionLimits | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { objectTimeoutMs, maxWorkerRssMb, exiftoolWorkers } = value as Record<string, unknown>;
  const numbers = [objectTimeoutMs, maxWorkerRssMb, exiftoolWorkers];
  if (!numbers.every((number) => typeof number === "number")) return undefined;
  return { objectTimeoutMs, maxWorkerRssMb, exiftoolWorkers } as ExtractionLimits;
}

/**
 * The listing prefix: --prefix within the stack's filterPrefix (the function
 * may read only there, and only that is ever notified).
 */
export function listingPrefix(target: Target, prefix = ""): string {
  if (prefix.startsWith(target.filterPrefix)) return prefix;
  if (target.filterPrefix.startsWith(prefix)) return target.filterPrefix;
  throw new UsageError(
    `--prefix "${prefix}" is outside the stack's filterPrefix "${target.filterPrefix}": ` +
      "the function may read only objects under it",
  );
}

/** Whether the stack would extract this key at all (filter suffix, not a result). */
export function extractable(target: Target, key: string): boolean {
  if (!key.endsWith(target.filterSuffix)) return false;
  const resultsHere = target.resultsBucket === target.uploadBucket;
  return !(resultsHere && key.startsWith(target.resultsPrefix));
}

const optionalString = (value: unknown): string | undefined =>
  typeof value === "string" ? value : undefined;
