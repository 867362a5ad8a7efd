// Typed, validated stack settings. Pure on purpose: no Pulumi import, so every
// rule is unit-testable and a bad value fails at `pulumi preview` with a
// message that names the key, before any resource is planned.
import { RESULT_DESTINATIONS, type ResultDestination } from "../function/environment";
import { OptionError, validateExiftoolOptions } from "../function/exiftool/options";
import { annotationNameProblem } from "../function/results/annotation-rules";

/** Pulumi project name; also the namespace of every config key. */
export const PROJECT = "s3-exiftool";

export type PerlSource = "system" | "source";
export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";
/** S3 Metadata on the upload bucket: "auto" turns it on for a bucket the stack creates when annotations are written. */
export type S3MetadataMode = "auto" | "true" | "false";

export interface Settings {
  // Pins: `npm run versions -- --write` edits these in Pulumi.<stack>.yaml.
  exiftoolVersion: string;
  nodeMajor: number;
  baseImageDigest: string;
  perlSource: PerlSource;
  perlVersion: string;
  perlSha256: string;

  // Buckets. Empty string means "not set".
  uploadBucketName: string;
  resultsBucketName: string;
  resultsInUploadBucket: boolean;
  resultsPrefix: string;
  filterPrefix: string;
  filterSuffix: string;

  // Queue and event source mapping.
  maxReceiveCount: number;
  batchSize: number;
  maximumBatchingWindow: number;
  maximumConcurrency: number;

  // Function.
  memorySize: number;
  timeout: number;
  reservedConcurrency: number;
  ephemeralStorageSize: number;
  exiftoolOptions: string[];
  exiftoolWorkers: number;
  /** Each object's own time on a worker, in seconds; 0: derived (objectTimeoutMs). */
  objectTimeout: number;
  logLevel: LogLevel;
  metricsNamespace: string;

  // Results as S3 annotations, S3 Metadata tables and Athena (docs/athena.md).
  resultDestination: ResultDestination;
  annotationName: string;
  s3Metadata: S3MetadataMode;
  s3MetadataInventory: boolean;
  s3MetadataJournalDays: number;
  athenaBytesScannedCutoff: number;

  // EventBridge.
  enableEventBridge: boolean;
  eventBusName: string;

  // Operations.
  logRetentionDays: number;
  ecrKeepImages: number;
  alarmEmail: string;
  queueAgeAlarmSeconds: number;

  // Release pipeline (infra/release/): undefined when not configured.
  releasePipeline: ReleasePipelineSettings | undefined;
  /**
   * Permissions boundary of every role the stack creates but the release
   * pipeline's deploy role ("" for none, or the stack's own when it has a
   * release pipeline): a pipeline deploy passes it.
   */
  roleBoundaryArn: string;
}

/** Thrown for any invalid setting; the message always starts with the full key. */
/** What Node and the Lambda runtime keep of the function's memory; the rest is shared by the workers. */
export const NODE_SHARE_MB = 256;
/** Below this a Perl worker with ExifTool loaded has no room for a file. */
export const MIN_WORKER_MB = 96;

/**
 * Each Perl worker's memory cap: the function's memory less Node's share,
 * split between the workers, so that one runaway file is killed and retried
 * instead of taking the whole invocation down with it.
 */
export function workerMemoryCapMb(memorySize: number, workers: number): number {
  return Math.floor((memorySize - NODE_SHARE_MB) / workers);
}

/** What the function keeps back from its deadline (function/config.ts, DEADLINE_RESERVE_MS). */
export const DEADLINE_RESERVE_SECONDS = 5;
/** The least time an object gets on a worker, derived or set. */
const MIN_OBJECT_TIMEOUT_MS = 1_000;

/** Rounds of objects a full batch takes when each spends its whole budget. */
const rounds = (s: Pick<Settings, "batchSize" | "exiftoolWorkers">): number =>
  Math.ceil(s.batchSize / s.exiftoolWorkers);

/**
 * Each object's own time on a worker: objectTimeout when set, else the
 * function's time (less its reserve) shared so that a full batch of objects
 * that each spend all of it still ends before the deadline. A slow object
 * then fails alone, and its neighbours are stored in the same invocation.
 */
export function objectTimeoutMs(
  s: Pick<Settings, "objectTimeout" | "timeout" | "batchSize" | "exiftoolWorkers">,
): number {
  if (s.objectTimeout > 0) return s.objectTimeout * 1000;
  const shared = Math.floor(((s.timeout - DEADLINE_RESERVE_SECONDS) * 1000) / rounds(s));
  return Math.max(MIN_OBJECT_TIMEOUT_MS, shared);
}

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`${PROJECT}:${key}: ${detail}`);
    this.name = "ConfigError";
  }
}

/** Reads one raw config value; `undefined` when the key is not set. */
export type ConfigSource = (key: string) => string | undefined;

/** What the settings are checked against, outside the stack config. */
export interface ConfigContext {
  /** Exact version of exiftool-vendored.pl in package.json. */
  exiftoolPackageVersion: string;
}

// Values that CloudWatch Logs accepts for retentionInDays.
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
];

const SHA256_HEX = /^[0-9a-f]{64}$/;
// IAM: a customer managed policy, optionally under a path
const MANAGED_POLICY_ARN = /^arn:aws[a-z-]*:iam::\d{12}:policy\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,128}$/;

/** Every key this project reads, with its default ("required" keys have none). */
export const DEFAULTS = {
  exiftoolVersion: undefined,
  nodeMajor: "24",
  baseImageDigest: undefined,
  perlSource: "system",
  perlVersion: "",
  perlSha256: "",
  uploadBucketName: "",
  resultsBucketName: "",
  resultsInUploadBucket: "false",
  resultsPrefix: "",
  filterPrefix: "",
  filterSuffix: "",
  maxReceiveCount: "5",
  batchSize: "10",
  maximumBatchingWindow: "0",
  maximumConcurrency: "10",
  memorySize: "1024",
  timeout: "120",
  reservedConcurrency: "-1",
  ephemeralStorageSize: "512",
  exiftoolOptions: "[]",
  exiftoolWorkers: "2",
  objectTimeout: "0",
  logLevel: "INFO",
  metricsNamespace: "S3ExifTool",
  resultDestination: "bucket",
  annotationName: "exiftool",
  s3Metadata: "auto",
  s3MetadataInventory: "false",
  s3MetadataJournalDays: "30",
  athenaBytesScannedCutoff: "10737418240",
  enableEventBridge: "false",
  eventBusName: "default",
  logRetentionDays: "30",
  ecrKeepImages: "10",
  alarmEmail: "",
  queueAgeAlarmSeconds: "3600",
  releasePipeline: "",
  roleBoundaryArn: "",
} as const satisfies Record<keyof Settings, string | undefined>;

export const CONFIG_KEYS = Object.keys(DEFAULTS) as (keyof Settings)[];

/** Parses and validates every setting; throws ConfigError naming the first bad key. */
export function parseSettings(source: ConfigSource, context: ConfigContext): Settings {
  const raw = (key: keyof Settings): string => {
    const value = source(key);
    if (value !== undefined) return value;
    const fallback = DEFAULTS[key];
    if (fallback === undefined) throw new ConfigError(key, "is required but not set");
    return fallback;
  };
  const int = (key: keyof Settings, min: number, max: number): number => {
    const text = raw(key).trim();
    if (!/^-?\d+$/.test(text)) throw new ConfigError(key, `must be an integer, got "${text}"`);
    const value = Number(text);
    if (value < min || value > max) {
      throw new ConfigError(key, `must be between ${min} and ${max}, got ${value}`);
    }
    return value;
  };
  const bool = (key: keyof Settings): boolean => {
    const text = raw(key).trim();
    if (text !== "true" && text !== "false") {
      throw new ConfigError(key, `must be true or false, got "${text}"`);
    }
    return text === "true";
  };
  const oneOf = <T extends string>(key: keyof Settings, allowed: readonly T[]): T => {
    const text = raw(key).trim();
    if (!(allowed as readonly string[]).includes(text)) {
      throw new ConfigError(key, `must be one of ${allowed.join(", ")}, got "${text}"`);
    }
    return text as T;
  };

  const exiftoolVersion = raw("exiftoolVersion").trim();
  if (exiftoolVersion !== context.exiftoolPackageVersion) {
    throw new ConfigError(
      "exiftoolVersion",
      `is "${exiftoolVersion}" but package.json pins exiftool-vendored.pl ` +
        `${context.exiftoolPackageVersion}; run \`npm run versions -- --write\``,
    );
  }

  const nodeMajor = int("nodeMajor", 20, 98);
  if (nodeMajor % 2 !== 0) {
    throw new ConfigError(
      "nodeMajor",
      `Lambda only ships even (LTS) Node.js majors, got ${nodeMajor}`,
    );
  }
  const baseImageDigest = raw("baseImageDigest").trim();
  if (!/^sha256:[0-9a-f]{64}$/.test(baseImageDigest)) {
    throw new ConfigError("baseImageDigest", `must be "sha256:" and 64 lowercase hex digits`);
  }

  const perlSource = oneOf<PerlSource>("perlSource", ["system", "source"]);
  const perlVersion = raw("perlVersion").trim();
  const perlSha256 = raw("perlSha256").trim().toLowerCase();
  if (perlVersion !== "" || perlSource === "source") {
    // Even minors are Perl's stable series; odd ones are development releases.
    const match = /^5\.(\d+)\.\d+$/.exec(perlVersion);
    if (!match || Number(match[1]) % 2 !== 0) {
      throw new ConfigError(
        "perlVersion",
        `must be a stable Perl release like 5.42.2, got "${perlVersion}"`,
      );
    }
  }
  if (perlSha256 !== "" || perlSource === "source") {
    if (!SHA256_HEX.test(perlSha256)) {
      throw new ConfigError("perlSha256", "must be the 64 hex digit SHA-256 of the Perl tarball");
    }
  }

  const uploadBucketName = bucketName("uploadBucketName", raw("uploadBucketName"));
  const resultsBucketName = bucketName("resultsBucketName", raw("resultsBucketName"));
  const resultsInUploadBucket = bool("resultsInUploadBucket");
  const resultsPrefix = keyPart("resultsPrefix", raw("resultsPrefix"));
  const filterPrefix = keyPart("filterPrefix", raw("filterPrefix"));
  const filterSuffix = keyPart("filterSuffix", raw("filterSuffix"));
  checkResultsLocation({
    uploadBucketName,
    resultsBucketName,
    resultsInUploadBucket,
    resultsPrefix,
    filterPrefix,
  });

  const maxReceiveCount = int("maxReceiveCount", 1, 1000);
  const maximumBatchingWindow = int("maximumBatchingWindow", 0, 300);
  // SQS caps a batch at 10 unless a batching window lets Lambda gather more.
  const batchSize = int("batchSize", 1, maximumBatchingWindow > 0 ? 10000 : 10);
  const maximumConcurrency = int("maximumConcurrency", 2, 1000);

  const memorySize = int("memorySize", 128, 10240);
  // the function keeps 5 s back to report and needs at least 1 s to extract
  // (function/config.ts, function/object-processor.ts): below 10 s nothing
  // would ever be processed
  const timeout = int("timeout", 10, 900);
  const reservedConcurrency = int("reservedConcurrency", -1, 100000);
  if (reservedConcurrency === 0) {
    throw new ConfigError(
      "reservedConcurrency",
      "0 would throttle every invocation; use -1 for none",
    );
  }
  if (reservedConcurrency > 0 && maximumConcurrency > reservedConcurrency) {
    throw new ConfigError(
      "maximumConcurrency",
      `(${maximumConcurrency}) must not exceed reservedConcurrency (${reservedConcurrency}), ` +
        "or the queue poller is throttled and messages reach the DLQ early",
    );
  }
  const ephemeralStorageSize = int("ephemeralStorageSize", 512, 10240);
  const exiftoolOptions = options(raw("exiftoolOptions"));
  const exiftoolWorkers = int("exiftoolWorkers", 1, 32);
  if (workerMemoryCapMb(memorySize, exiftoolWorkers) < MIN_WORKER_MB) {
    throw new ConfigError(
      "exiftoolWorkers",
      `(${exiftoolWorkers}) need ${MIN_WORKER_MB} MB each beside Node's ${NODE_SHARE_MB} MB: ` +
        `memorySize must be at least ${NODE_SHARE_MB + exiftoolWorkers * MIN_WORKER_MB}, is ${memorySize}`,
    );
  }
  const objectTimeout = int("objectTimeout", 0, timeout - DEADLINE_RESERVE_SECONDS - 1);
  const round = rounds({ batchSize, exiftoolWorkers });
  if (objectTimeout * round > timeout - DEADLINE_RESERVE_SECONDS) {
    throw new ConfigError(
      "objectTimeout",
      `(${objectTimeout} s) leaves no room: a batch of ${batchSize} on ${exiftoolWorkers} workers ` +
        `takes ${round} rounds, ${objectTimeout * round} s if each object spends its time, more than ` +
        `the ${timeout - DEADLINE_RESERVE_SECONDS} s the timeout leaves; use 0 (derived) or at most ` +
        `${Math.floor((timeout - DEADLINE_RESERVE_SECONDS) / round)}`,
    );
  }
  const logLevel = oneOf<LogLevel>("logLevel", ["DEBUG", "INFO", "WARN", "ERROR"]);
  const metricsNamespace = raw("metricsNamespace").trim();
  if (!/^[A-Za-z0-9._\-/#:]{1,255}$/.test(metricsNamespace)) {
    throw new ConfigError(
      "metricsNamespace",
      "must be 1-255 characters of A-Z a-z 0-9 . _ - / # :",
    );
  }

  const resultDestination = oneOf<ResultDestination>("resultDestination", RESULT_DESTINATIONS);
  const annotationName = raw("annotationName");
  const nameProblem = annotationNameProblem(annotationName);
  if (nameProblem !== undefined) throw new ConfigError("annotationName", nameProblem);
  const s3Metadata = oneOf<S3MetadataMode>("s3Metadata", ["auto", "true", "false"]);
  const s3MetadataInventory = bool("s3MetadataInventory");
  // S3 keeps journal records at least 7 days
  const s3MetadataJournalDays = int("s3MetadataJournalDays", 7, 36500);
  // Athena's smallest per-query cutoff is 10 MB
  const athenaBytesScannedCutoff = int("athenaBytesScannedCutoff", 10_000_000, 2 ** 50);

  const enableEventBridge = bool("enableEventBridge");
  const eventBusName = raw("eventBusName").trim();
  if (!/^[A-Za-z0-9._\-/]{1,256}$/.test(eventBusName)) {
    throw new ConfigError(
      "eventBusName",
      "must be the name of an event bus in this account and region",
    );
  }

  const logRetentionDays = int("logRetentionDays", 1, 3653);
  if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
    throw new ConfigError("logRetentionDays", `must be one of ${LOG_RETENTION_DAYS.join(", ")}`);
  }
  const ecrKeepImages = int("ecrKeepImages", 1, 1000);
  const alarmEmail = raw("alarmEmail").trim();
  if (alarmEmail !== "" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(alarmEmail)) {
    throw new ConfigError("alarmEmail", `must be an e-mail address, got "${alarmEmail}"`);
  }
  const queueAgeAlarmSeconds = int("queueAgeAlarmSeconds", 60, 1209600);
  const releasePipeline = parseReleasePipeline(raw("releasePipeline"));
  const roleBoundaryArn = raw("roleBoundaryArn").trim();
  if (roleBoundaryArn !== "" && !MANAGED_POLICY_ARN.test(roleBoundaryArn)) {
    throw new ConfigError(
      "roleBoundaryArn",
      `must be a customer managed policy ARN like arn:aws:iam::ACCOUNT:policy/NAME, got "${roleBoundaryArn}"`,
    );
  }

  return {
    exiftoolVersion,
    nodeMajor,
    baseImageDigest,
    perlSource,
    perlVersion,
    perlSha256,
    uploadBucketName,
    resultsBucketName,
    resultsInUploadBucket,
    resultsPrefix,
    filterPrefix,
    filterSuffix,
    maxReceiveCount,
    batchSize,
    maximumBatchingWindow,
    maximumConcurrency,
    memorySize,
    timeout,
    reservedConcurrency,
    ephemeralStorageSize,
    exiftoolOptions,
    exiftoolWorkers,
    objectTimeout,
    logLevel,
    metricsNamespace,
    resultDestination,
    annotationName,
    s3Metadata,
    s3MetadataInventory,
    s3MetadataJournalDays,
    athenaBytesScannedCutoff,
    enableEventBridge,
    eventBusName,
    logRetentionDays,
    ecrKeepImages,
    alarmEmail,
    queueAgeAlarmSeconds,
    releasePipeline,
    roleBoundaryArn,
  };
}

/** Whether results are written as `<prefix><key>.json` objects (and so must be removed with their object). */
export function writesResultObjects(settings: Pick<Settings, "resultDestination">): boolean {
  return settings.resultDestination !== "annotation";
}

/** Whether results are written as annotations on the uploaded objects. */
export function writesAnnotations(settings: Pick<Settings, "resultDestination">): boolean {
  return settings.resultDestination !== "bucket";
}

/**
 * Whether the stack configures S3 Metadata (journal and annotation tables) and
 * Athena on the upload bucket: by default only on a bucket it creates and only
 * when annotations are written; an existing bucket is its owner's, so there it
 * takes `s3Metadata: true`.
 */
export function enablesS3Metadata(
  settings: Pick<Settings, "s3Metadata" | "resultDestination" | "uploadBucketName">,
): boolean {
  if (settings.s3Metadata !== "auto") return settings.s3Metadata === "true";
  return settings.uploadBucketName === "" && writesAnnotations(settings);
}

/**
 * The queue's visibility timeout: AWS advises at least six times the function
 * timeout plus the batching window, so a message is not handed to a second
 * poller while a retried invocation may still be working on it.
 */
export function visibilityTimeoutFor(
  settings: Pick<Settings, "timeout" | "maximumBatchingWindow">,
): number {
  return 6 * settings.timeout + settings.maximumBatchingWindow;
}

/**
 * The longest name of each kind whose AWS limit the stack could reach: the
 * suffix the stack puts after the prefix. Pulumi adds "-" and 7 random
 * characters to every name it generates.
 */
export const LONGEST_NAMES = [
  { kind: "S3 bucket", limit: 63, suffix: "-release-artifacts" },
  { kind: "IAM role", limit: 64, suffix: "-batch-operations" },
  { kind: "EventBridge Scheduler schedule", limit: 64, suffix: "-release-schedule" },
] as const;
const PULUMI_SUFFIX = 8;

/** The longest stack name whose resource names all fit their AWS limits. */
export const MAX_STACK_NAME =
  Math.min(...LONGEST_NAMES.map(({ limit, suffix }) => limit - suffix.length - PULUMI_SUFFIX)) -
  `${PROJECT}-`.length;

/**
 * Prefix for every resource name: the project and the stack, lowercased and
 * limited to what S3, ECR and IAM all accept, so two stacks never collide.
 */
export function resourcePrefix(stack: string): string {
  const cleaned = `${PROJECT}-${stack}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+$/, "");
  if (cleaned.length > `${PROJECT}-`.length + MAX_STACK_NAME) {
    throw new Error(
      `stack name "${stack}" is too long for resource names: use at most ${MAX_STACK_NAME} characters`,
    );
  }
  return cleaned;
}

function bucketName(key: keyof Settings, value: string): string {
  const name = value.trim();
  if (name === "") return "";
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes("..")) {
    throw new ConfigError(key, `"${name}" is not a valid S3 bucket name`);
  }
  return name;
}

// S3 key prefixes/suffixes for filters and results: literal text, no globbing.
function keyPart(key: keyof Settings, value: string): string {
  if (value === "") return "";
  if (value.length > 1024) throw new ConfigError(key, "must be at most 1024 characters");
  if ([...value].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f)) {
    throw new ConfigError(key, "must not contain control characters");
  }
  if (/[*?]/.test(value)) {
    throw new ConfigError(
      key,
      `S3 filters and prefixes are literal: remove "*" and "?" from "${value}"`,
    );
  }
  if (value.startsWith("/")) {
    throw new ConfigError(key, `S3 keys do not start with "/": use "${value.replace(/^\/+/, "")}"`);
  }
  return value;
}

function checkResultsLocation(s: {
  uploadBucketName: string;
  resultsBucketName: string;
  resultsInUploadBucket: boolean;
  resultsPrefix: string;
  filterPrefix: string;
}): void {
  if (!s.resultsInUploadBucket) {
    if (s.resultsBucketName !== "" && s.resultsBucketName === s.uploadBucketName) {
      throw new ConfigError(
        "resultsBucketName",
        "equals uploadBucketName; to write results into the upload bucket set resultsInUploadBucket: true",
      );
    }
    // an existing bucket holds other objects: results keep to a folder of
    // their own, so the role may write nowhere else in it
    if (s.resultsBucketName !== "" && (s.resultsPrefix === "" || !s.resultsPrefix.endsWith("/"))) {
      throw new ConfigError(
        "resultsPrefix",
        'must be a folder like "exiftool/" when resultsBucketName names an existing bucket',
      );
    }
    return;
  }
  if (s.resultsBucketName !== "") {
    throw new ConfigError("resultsBucketName", "must be empty when resultsInUploadBucket is true");
  }
  if (s.resultsPrefix === "" || !s.resultsPrefix.endsWith("/")) {
    throw new ConfigError(
      "resultsPrefix",
      'must be a folder like "exiftool/" when resultsInUploadBucket is true',
    );
  }
  // S3 notification filters cannot exclude a prefix, so results written into
  // the watched bucket would trigger the function again, forever. Only an
  // upload prefix that cannot overlap the results prefix breaks that loop.
  if (s.filterPrefix === "") {
    throw new ConfigError(
      "filterPrefix",
      "is required when resultsInUploadBucket is true (S3 filters cannot exclude the results prefix)",
    );
  }
  if (s.filterPrefix.startsWith(s.resultsPrefix) || s.resultsPrefix.startsWith(s.filterPrefix)) {
    throw new ConfigError(
      "filterPrefix",
      `"${s.filterPrefix}" overlaps resultsPrefix "${s.resultsPrefix}": results would trigger extraction again`,
    );
  }
}

function options(text: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError("exiftoolOptions", "must be a list of strings (YAML list or JSON array)");
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new ConfigError("exiftoolOptions", "must be a list of strings");
  }
  // The function's own allow-list: preview refuses exactly what the function
  // would refuse at cold start.
  try {
    return validateExiftoolOptions(parsed as string[]);
  } catch (error) {
    if (error instanceof OptionError) throw new ConfigError("exiftoolOptions", error.message);
    throw error;
  }
}

// --- Release pipeline (`s3-exiftool:releasePipeline`, infra/release/) ---
// One object, set with `pulumi config set --path 's3-exiftool:releasePipeline.KEY' VALUE`;
// each of its keys is reported as `releasePipeline.KEY`.

export type SourceProvider = "GitHub" | "GitLab" | "Bitbucket";

export interface ReleasePipelineSettings {
  /** `owner/name` (GitLab: `group/subgroup/name`) in the connection's account. */
  repository: string;
  branch: string;
  /** An AWS CodeConnections (or CodeStar Connections) connection ARN. */
  connectionArn: string;
  /** Where the repository lives, for the version check's own checkout. */
  provider: SourceProvider;
  /** A manual approval between build-and-test and deploy. */
  manualApproval: boolean;
  /** EventBridge Scheduler expression of the version check. */
  schedule: string;
  /** `pulumi login` URL of the backend that holds the deployed stack's state. */
  backendUrl: string;
  /** Stack that the deploy stage updates; "" means the stack that owns the pipeline. */
  stack: string;
  /** Secrets Manager secret (ARN or name) holding PULUMI_CONFIG_PASSPHRASE; "" for none. */
  passphraseSecret: string;
  /** Secrets Manager secret (ARN or name) holding PULUMI_ACCESS_TOKEN; "" for none. */
  accessTokenSecret: string;
}

const RELEASE_PIPELINE_DEFAULTS = {
  provider: "GitHub",
  manualApproval: false,
  schedule: "rate(1 day)",
  stack: "",
  passphraseSecret: "",
  accessTokenSecret: "",
} as const;

const RELEASE_PIPELINE_KEYS = [
  "repository",
  "branch",
  "connectionArn",
  "backendUrl",
  ...Object.keys(RELEASE_PIPELINE_DEFAULTS),
];

const CONNECTION_ARN =
  /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/;
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
// EventBridge Scheduler: rate(N unit) or a six-field cron(...); at(...) would run once.
const SCHEDULE = /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(\S+( \S+){5}\))$/;

function releaseError(key: string, detail: string): ConfigError {
  return new ConfigError(`releasePipeline.${key}`, detail);
}

/** `""` (not set) gives undefined: the stack then has no release pipeline at all. */
export function parseReleasePipeline(text: string): ReleasePipelineSettings | undefined {
  if (text.trim() === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError("releasePipeline", "must be an object (YAML mapping or JSON object)");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError("releasePipeline", "must be an object (YAML mapping or JSON object)");
  }
  const object = parsed as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!RELEASE_PIPELINE_KEYS.includes(key)) {
      throw releaseError(key, `is not a setting; known: ${RELEASE_PIPELINE_KEYS.join(", ")}`);
    }
  }
  const field = (key: string): string => {
    const value =
      object[key] ?? RELEASE_PIPELINE_DEFAULTS[key as keyof typeof RELEASE_PIPELINE_DEFAULTS];
    if (value === undefined) throw releaseError(key, "is required but not set");
    if (typeof value !== "string")
      throw releaseError(key, `must be a string, got ${JSON.stringify(value)}`);
    return value.trim();
  };

  const repository = field("repository");
  if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)+$/.test(repository) || repository.includes("..")) {
    throw releaseError("repository", `must be "owner/name", got "${repository}"`);
  }
  const branch = field("branch");
  // git's ref-name rules, the subset that matters for a branch name
  if (
    !/^[A-Za-z0-9._/-]{1,255}$/.test(branch) ||
    /(^[/.-]|\/\.|\.\.|\/\/|[/.]$|\.lock$)/.test(branch)
  ) {
    throw releaseError("branch", `"${branch}" is not a valid branch name`);
  }
  const connectionArn = field("connectionArn");
  if (!CONNECTION_ARN.test(connectionArn)) {
    throw releaseError(
      "connectionArn",
      "must be a CodeConnections connection ARN like arn:aws:codeconnections:REGION:ACCOUNT:connection/UUID",
    );
  }
  const provider = field("provider");
  if (!["GitHub", "GitLab", "Bitbucket"].includes(provider)) {
    throw releaseError("provider", `must be one of GitHub, GitLab, Bitbucket, got "${provider}"`);
  }
  const approval = object["manualApproval"] ?? RELEASE_PIPELINE_DEFAULTS.manualApproval;
  if (approval !== true && approval !== false && approval !== "true" && approval !== "false") {
    throw releaseError("manualApproval", `must be true or false, got ${JSON.stringify(approval)}`);
  }
  const schedule = field("schedule");
  if (!SCHEDULE.test(schedule)) {
    throw releaseError(
      "schedule",
      `must be an EventBridge Scheduler rate(...) or cron(...) expression, got "${schedule}"`,
    );
  }
  const backendUrl = field("backendUrl");
  if (!/^(s3|gs|azblob):\/\/\S+$|^https:\/\/\S+$/.test(backendUrl)) {
    throw releaseError(
      "backendUrl",
      `must be a Pulumi backend URL (https://api.pulumi.com, s3://BUCKET, ...); a local file backend cannot be reached from CodeBuild; got "${backendUrl}"`,
    );
  }
  const stack = field("stack");
  if (stack !== "" && !/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+){0,2}$/.test(stack)) {
    throw releaseError("stack", `"${stack}" is not a Pulumi stack name`);
  }
  const secret = (key: string): string => {
    const value = field(key);
    if (
      value !== "" &&
      !SECRET_ARN.test(value) &&
      (value.startsWith("arn:") || !SECRET_NAME.test(value))
    ) {
      throw releaseError(key, `must be a Secrets Manager secret name or full ARN, got "${value}"`);
    }
    return value;
  };
  const passphraseSecret = secret("passphraseSecret");
  const accessTokenSecret = secret("accessTokenSecret");
  if (backendUrl.startsWith("https://") && accessTokenSecret === "") {
    throw releaseError("accessTokenSecret", "is required with a Pulumi Cloud (https://) backend");
  }
  return {
    repository,
    branch,
    connectionArn,
    provider: provider as SourceProvider,
    manualApproval: approval === true || approval === "true",
    schedule,
    backendUrl,
    stack,
    passphraseSecret,
    accessTokenSecret,
  };
}
