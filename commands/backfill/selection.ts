// Picks the objects of a backfill from the upload bucket's listing, one
// ListObjectsV2 page (up to 1000 keys) at a time so that memory stays flat
// for millions of keys; --missing and --stale look at each object's result
// with a bounded number of requests in flight.
import {
  GetObjectAnnotationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectAnnotationsCommand,
  ListObjectsV2Command,
  type S3Client,
} from "@aws-sdk/client-s3";
import { resultKey } from "../../function/results/result-record";
import { staleReason, unquote, type ListedObject } from "./staleness";
import { extractable, listingPrefix, type Target } from "./target";

export type Selection = "missing" | "stale" | "all";

export interface SelectionCounts {
  /** Objects the listing returned under the prefix. */
  listed: number;
  /** Listed but never extracted by the stack (filter suffix, or a result itself). */
  ignored: number;
  /** Selected because they have no result. */
  missing: number;
  /** Selected because their result is stale. */
  stale: number;
  /** Left out because their result is current (--missing: because they have one). */
  current: number;
  /** Selected by --all. */
  all: number;
}

/** Counts before the first object is listed. */
export function noCounts(): SelectionCounts {
  return { listed: 0, ignored: 0, missing: 0, stale: 0, current: 0, all: 0 };
}

export const selectedCount = (counts: SelectionCounts): number =>
  counts.missing + counts.stale + counts.all;

export interface SelectOptions {
  selection: Selection;
  prefix?: string;
  /** Result reads in flight at once. */
  concurrency: number;
}

const notFound = (error: unknown): boolean =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** Runs fn over items with at most `limit` in flight; results in input order. */
async function mapBounded<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

type Verdict = "missing" | "stale" | "current" | "all";

async function judge(
  s3: S3Client,
  target: Target,
  selection: Selection,
  object: ListedObject,
): Promise<Verdict> {
  if (selection === "all") return "all";
  if (target.annotationName !== undefined)
    return judgeAnnotation(s3, target, target.annotationName, selection, object);
  const where = { Bucket: target.resultsBucket, Key: resultKey(target.resultsPrefix, object.key) };
  try {
    if (selection === "missing") {
      await s3.send(new HeadObjectCommand(where));
      return "current";
    }
    const response = await s3.send(new GetObjectCommand(where));
    const text = await response.Body!.transformToString();
    let result: unknown;
    try {
      result = JSON.parse(text);
    } catch {
      return "stale";
    }
    return staleReason(result, object, target) === undefined ? "current" : "stale";
  } catch (error) {
    if (notFound(error)) return "missing";
    throw new Error(
      `cannot read the result s3://${where.Bucket}/${where.Key}: ${(error as Error).message}`,
    );
  }
}

/** The same judgement from the object's annotation (a pointer record carries the same fields). */
async function judgeAnnotation(
  s3: S3Client,
  target: Target,
  name: string,
  selection: Exclude<Selection, "all">,
  object: ListedObject,
): Promise<Verdict> {
  const where = { Bucket: target.uploadBucket, Key: object.key };
  try {
    if (selection === "missing") {
      // listing is cheaper than reading a payload of up to 1 MiB
      const { Annotations = [] } = await s3.send(
        new ListObjectAnnotationsCommand({ ...where, AnnotationPrefix: name }),
      );
      return Annotations.some((entry) => entry.AnnotationName === name) ? "current" : "missing";
    }
    const response = await s3.send(
      new GetObjectAnnotationCommand({ ...where, AnnotationName: name }),
    );
    let result: unknown;
    try {
      result = JSON.parse(await response.AnnotationPayload!.transformToString());
    } catch {
      return "stale";
    }
    return staleReason(result, object, target) === undefined ? "current" : "stale";
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchAnnotation") return "missing";
    // the object went between the listing and this read: nothing to extract
    if (notFound(error)) return "current";
    throw new Error(
      `cannot read the annotation ${name} of s3://${where.Bucket}/${where.Key}: ${(error as Error).message}`,
    );
  }
}

export async function* selectObjects(
  s3: S3Client,
  target: Target,
  options: SelectOptions,
  counts: SelectionCounts,
): AsyncGenerator<ListedObject> {
  const prefix = listingPrefix(target, options.prefix);
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: target.uploadBucket,
        Prefix: prefix || undefined,
        ContinuationToken: token,
      }),
    );
    const objects: ListedObject[] = [];
    for (const entry of page.Contents ?? []) {
      counts.listed += 1;
      if (!extractable(target, entry.Key!)) counts.ignored += 1;
      else
        objects.push({ key: entry.Key!, size: entry.Size ?? 0, eTag: unquote(entry.ETag ?? "") });
    }
    const verdicts = await mapBounded(objects, options.concurrency, (object) =>
      judge(s3, target, options.selection, object),
    );
    for (const [i, verdict] of verdicts.entries()) {
      counts[verdict] += 1;
      if (verdict !== "current") yield objects[i]!;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
