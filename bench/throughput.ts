// Files per second over many small objects: the engine's warm pool of two
// workers against a new exiftool process per file, both with four files in
// flight (two per core), so network waits can overlap work for either.
import type { S3Client } from "@aws-sdk/client-s3";
import { Extractor } from "../function/extractor";
import type { RangeReadOptions, S3ObjectRef } from "../function/ranges/s3-range-source";
import type { Contender } from "./contenders/contender";
import type { Throughput } from "./results";

export const WORKERS = 2;
export const CONCURRENCY = 4;

/** Runs `task` over `refs`, `concurrency` at a time; returns files per second. */
export async function filesPerSecond(
  refs: readonly S3ObjectRef[],
  task: (ref: S3ObjectRef) => Promise<unknown>,
  concurrency = CONCURRENCY,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  const lane = async (): Promise<void> => {
    while (next < refs.length) await task(refs[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return refs.length / ((performance.now() - started) / 1000);
}

export async function engineThroughput(
  s3: S3Client,
  refs: readonly S3ObjectRef[],
  range: Partial<RangeReadOptions> = {},
): Promise<Throughput> {
  const extractor = new Extractor({ s3, workers: WORKERS, range });
  try {
    // warm the pool as a running function's would be: one extraction per worker
    await Promise.all(refs.slice(0, WORKERS).map((ref) => extractor.extract(ref)));
    const rate = await filesPerSecond(refs, (ref) => extractor.extract(ref));
    return { contender: "engine", files: refs.length, filesPerSecond: rate };
  } finally {
    await extractor.close();
  }
}

export async function contenderThroughput(
  contender: Contender,
  refs: readonly S3ObjectRef[],
): Promise<Throughput> {
  const rate = await filesPerSecond(refs, (ref) => contender.run(ref));
  return { contender: contender.name, files: refs.length, filesPerSecond: rate };
}
