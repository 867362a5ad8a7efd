// The deploy stage's smoke test: upload a tiny PNG whose comment is unique to
// this run into the deployed upload bucket (under the notification's filter),
// wait for its result, check that the result describes that very file, and
// remove both objects again.
import {
  DeleteObjectCommand,
  GetObjectAnnotationCommand,
  GetObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { tinyPng } from "../tiny-png";

export interface SmokeTarget {
  uploadBucket: string;
  resultsBucket: string;
  resultsPrefix: string;
  /** The stack's notification filter: the upload must match it to be processed. */
  filterPrefix: string;
  filterSuffix: string;
  /** Set when the function writes annotations: the record is read back with GetObjectAnnotation. */
  annotationName?: string;
}

export interface SmokeOptions {
  s3: S3Client;
  target: SmokeTarget;
  timeoutMs: number;
  pollMs?: number;
  log?: (line: string) => void;
}

export interface SmokeResult {
  key: string;
  resultKey: string;
  waitedMs: number;
}

/** `s3://bucket/prefix` (the stack's resultsLocation output) into bucket and prefix. */
export function parseResultsLocation(location: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.*)$/.exec(location);
  if (!match)
    throw new Error(`results location must look like s3://BUCKET/PREFIX, got "${location}"`);
  return { bucket: match[1]!, prefix: match[2]! };
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "NoSuchKey" || name === "NotFound" || name === "NoSuchAnnotation";
}

export async function smokeTest(options: SmokeOptions): Promise<SmokeResult> {
  const { s3, target } = options;
  const log = options.log ?? (() => undefined);
  const runId = `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomBytes(4).toString("hex")}`;
  const key = `${target.filterPrefix}s3-exiftool-smoke-test/${runId}.png${target.filterSuffix}`;
  const resultKey = `${target.resultsPrefix}${key}.json`;
  const { annotationName } = target;
  const where =
    annotationName === undefined
      ? `s3://${target.resultsBucket}/${resultKey}`
      : `annotation ${annotationName} on s3://${target.uploadBucket}/${key}`;
  const readRecord = async (): Promise<string | undefined> => {
    if (annotationName === undefined) {
      const result = await s3.send(
        new GetObjectCommand({ Bucket: target.resultsBucket, Key: resultKey }),
      );
      return result.Body?.transformToString();
    }
    const result = await s3.send(
      new GetObjectAnnotationCommand({
        Bucket: target.uploadBucket,
        Key: key,
        AnnotationName: annotationName,
      }),
    );
    return result.AnnotationPayload?.transformToString();
  };
  const comment = `s3-exiftool smoke test ${runId}`;

  const started = Date.now();
  await s3.send(
    new PutObjectCommand({ Bucket: target.uploadBucket, Key: key, Body: tinyPng(comment) }),
  );
  log(`uploaded s3://${target.uploadBucket}/${key}; waiting for ${where}`);
  try {
    for (;;) {
      let text: string | undefined;
      try {
        text = await readRecord();
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      if (text !== undefined) {
        const record = JSON.parse(text) as { key?: string; metadata?: Record<string, unknown> };
        if (record.key !== key || record.metadata?.["Comment"] !== comment) {
          throw new Error(
            `result ${where} does not describe the uploaded file: ${text.slice(0, 300)}`,
          );
        }
        const waitedMs = Date.now() - started;
        log(`result found after ${waitedMs} ms with the run's comment`);
        return { key, resultKey, waitedMs };
      }
      if (Date.now() - started > options.timeoutMs) {
        throw new Error(
          `no result at ${where} after ${options.timeoutMs} ms ` +
            "(see the function's log group and the dead-letter queue)",
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 2000));
    }
  } finally {
    // the result may not exist when the test failed; deleting a missing key is not an error;
    // an annotation goes with its object
    await s3.send(new DeleteObjectCommand({ Bucket: target.uploadBucket, Key: key }));
    await s3.send(new DeleteObjectCommand({ Bucket: target.resultsBucket, Key: resultKey }));
  }
}
