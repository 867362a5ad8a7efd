// What a million objects cost on Lambda, from a run's measured durations and
// requests: GB-seconds at the stack's default memory, GET requests, and their
// list prices. The same memory for every design, so only the time differs.
import type { ContenderName } from "../contenders/contender";
import type { Results } from "../results";

/** us-east-1 list prices (aws.amazon.com/lambda/pricing, /s3/pricing), as of 2026-11-26. */
export const PRICES = {
  region: "us-east-1",
  date: "2026-11-26",
  /** Lambda arm64, first tier (up to 7.5 billion GB-s a month). */
  lambdaArmPerGbSecond: 0.0000133334,
  /** S3 Standard GET (and HEAD) per 1,000 requests. */
  s3GetPer1000: 0.0004,
};

/** The stack's default memorySize (Pulumi.dev.yaml). */
export const MEMORY_MB = 1024;

export interface CostRow {
  mix: string;
  contender: ContenderName;
  /** Lambda seconds one object keeps a 1 GB function busy. */
  secondsPerObject: number;
  gbSecondsPerMillion: number;
  getsPerMillion: number;
  lambdaUsd: number;
  s3Usd: number;
}

const DESIGNS: readonly ContenderName[] = ["engine", "stream", "download"];

/**
 * Photo mix: the photo throughput lane (4 in flight on one instance, so a
 * second of it serves filesPerSecond objects). Video mix: the 1 GiB QuickTime
 * files one at a time, as one object per invocation would be.
 */
export function costRows(results: Results): CostRow[] {
  const rows: CostRow[] = [];
  const add = (mix: string, contender: ContenderName, seconds: number, gets: number): void => {
    const gbSeconds = (MEMORY_MB / 1024) * seconds * 1e6;
    rows.push({
      mix,
      contender,
      secondsPerObject: seconds,
      gbSecondsPerMillion: gbSeconds,
      getsPerMillion: gets * 1e6,
      lambdaUsd: gbSeconds * PRICES.lambdaArmPerGbSecond,
      s3Usd: ((gets * 1e6) / 1000) * PRICES.s3GetPer1000,
    });
  };
  for (const contender of DESIGNS) {
    const lane = results.throughput.find((t) => t.corpus === "photos" && t.contender === contender);
    if (lane) add("photos", contender, 1 / lane.filesPerSecond, lane.perFile.requests);
  }
  const videos = results.rows.filter(
    (r) => r.group === "large" && r.file.startsWith("moov-") && r.size > 64 * 1024 * 1024,
  );
  for (const contender of DESIGNS) {
    const mine = videos.filter((r) => r.contender === contender && !r.error);
    if (!mine.length) continue;
    const mean = (f: (r: (typeof mine)[number]) => number): number =>
      mine.reduce((s, r) => s + f(r), 0) / mine.length;
    add(
      "large videos",
      contender,
      mean((r) => r.wallMs) / 1000,
      mean((r) => r.requests),
    );
  }
  return rows;
}

// --- Everything else a million objects cause, beside compute and reads ---

/** A list price per million requests, where AWS publishes one. */
export interface RequestPrice {
  usdPerMillion: number | undefined;
  /** Where the price is published, and when it was checked; or why there is none. */
  source: string;
}

const S3_PRICING = "aws.amazon.com/s3/pricing (S3 Standard, us-east-1), as of 2026-12-03";

export const REQUEST_PRICES = {
  s3Put: { usdPerMillion: 5, source: `${S3_PRICING}: PUT, COPY, POST, LIST $0.005 per 1,000` },
  s3Get: { usdPerMillion: PRICES.s3GetPer1000 * 1000, source: `${S3_PRICING}: GET, HEAD` },
  s3Delete: { usdPerMillion: 0, source: `${S3_PRICING}: DELETE requests are free` },
  annotationPut: {
    usdPerMillion: 5,
    source:
      `${S3_PRICING}: billed as a PUT (the S3 API reference: "each annotation copied is ` +
      `billed as a separate PUT request"); no price of its own published`,
  },
  sqs: {
    usdPerMillion: 0.4,
    source:
      "aws.amazon.com/sqs/pricing, standard queue, first 100 billion requests a month " +
      "(1 million free), as of 2026-12-03",
  },
  lambdaRequest: {
    usdPerMillion: 0.2,
    source: "aws.amazon.com/lambda/pricing, requests, as of 2026-12-03",
  },
  eventBridge: {
    usdPerMillion: 1,
    source: "aws.amazon.com/eventbridge/pricing, custom events (64 KB chunks), as of 2026-12-03",
  },
  metadataTables: {
    usdPerMillion: undefined,
    source:
      "no price found: the S3 User Guide says the annotation table (and its backfill) is " +
      "charged and points to aws.amazon.com/s3/pricing, where no S3 Metadata figure could be " +
      "retrieved from here on 2026-12-03",
  },
} satisfies Record<string, RequestPrice>;

export interface RequestCostRow {
  item: string;
  requestsPerMillion: number;
  price: RequestPrice;
  /** undefined where AWS publishes no price: never guessed. */
  usd: number | undefined;
}

export interface RequestAssumptions {
  resultDestination: "bucket" | "annotation" | "both";
  /** Messages per invocation (the stack's batchSize). */
  batchSize: number;
  enableEventBridge: boolean;
  s3Metadata: boolean;
}

/**
 * The requests one million new objects cause, besides the function's reads:
 * S3's message per object, the poller's receive and delete per batch, one
 * invocation per batch, the result's write (a HEAD and a PUT to the bucket,
 * a PutObjectAnnotation, or both), an EventBridge event when enabled, and S3
 * Metadata's table updates. Idle polling (empty receives) is left out: it
 * depends on time, not on objects.
 */
export function requestCostRows(a: RequestAssumptions): RequestCostRow[] {
  const million = 1e6;
  const batches = million / a.batchSize;
  const rows: [string, number, RequestPrice][] = [
    ["SQS SendMessage (S3 notification)", million, REQUEST_PRICES.sqs],
    ["SQS ReceiveMessage (one per batch)", batches, REQUEST_PRICES.sqs],
    ["SQS DeleteMessageBatch (one per batch)", batches, REQUEST_PRICES.sqs],
    ["Lambda invocations (one per batch)", batches, REQUEST_PRICES.lambdaRequest],
  ];
  if (a.resultDestination !== "annotation") {
    rows.push(["Result HEAD (is an earlier result ours?)", million, REQUEST_PRICES.s3Get]);
    rows.push(["Result PUT", million, REQUEST_PRICES.s3Put]);
  }
  if (a.resultDestination !== "bucket") {
    rows.push(["PutObjectAnnotation", million, REQUEST_PRICES.annotationPut]);
  }
  if (a.enableEventBridge) rows.push(["EventBridge events", million, REQUEST_PRICES.eventBridge]);
  if (a.s3Metadata) {
    rows.push([
      "S3 Metadata journal and annotation table updates",
      million,
      REQUEST_PRICES.metadataTables,
    ]);
  }
  return rows.map(([item, requestsPerMillion, price]) => ({
    item,
    requestsPerMillion,
    price,
    usd:
      price.usdPerMillion === undefined
        ? undefined
        : (requestsPerMillion / million) * price.usdPerMillion,
  }));
}
