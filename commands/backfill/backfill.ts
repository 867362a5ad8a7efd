// One backfill run: select the objects, write their manifest to the results
// location, then have them extracted, by an S3 Batch Operations job on AWS or
// through the work queue of the local pipeline, following the progress until
// the work is done.
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createReadStream } from "node:fs";
import type { S3Client } from "@aws-sdk/client-s3";
import type { JobDescriptor, S3ControlClient } from "@aws-sdk/client-s3-control";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { backfillPrefix } from "../../infra/backfill-contract";
import { printableKey } from "../../local/printable";
import { uploadObject } from "../../local/upload";
import { ProgressLine, progressBar, type ProgressOutput } from "../ops/progress";
import { plural } from "../plural";
import { createJob, createJobInput, followJob } from "./batch-job";
import { ManifestFile } from "./manifest";
import { unquote } from "./staleness";
import { QueueAnnouncer } from "./queue-announce";
import { QueueFates, type FateCounts } from "./queue-fates";
import {
  noCounts,
  selectObjects,
  selectedCount,
  type Selection,
  type SelectionCounts,
} from "./selection";
import { listingPrefix, type BatchTarget, type Target } from "./target";

export type Runner =
  | { kind: "batch"; s3control: S3ControlClient; target: BatchTarget }
  | { kind: "queue"; sqs: SQSClient; queueUrl: string; deadLetterQueueUrl: string; region: string };

export interface BackfillDeps {
  s3: S3Client;
  target: Target;
  runner: Runner;
  /** Summary lines and the job id. */
  print: (line: string) => void;
  /** The progress bar (stderr). */
  progress: ProgressOutput;
  wait: () => Promise<void>;
}

export interface BackfillOptions {
  selection: Selection;
  prefix?: string;
  dryRun: boolean;
  concurrency: number;
}

export interface BackfillReport {
  counts: SelectionCounts;
  selected: number;
  manifest?: { bucket: string; key: string };
  jobId?: string;
  job?: JobDescriptor;
  /** Messages sent to the local queue. */
  sent?: number;
  exitCode: number;
}

function runFolder(target: Target, token: string, now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  return `${backfillPrefix(target.resultsPrefix)}${stamp}-${token.slice(0, 8)}/`;
}

function describeCounts(counts: SelectionCounts, selection: Selection): string {
  const parts = [`${counts.listed} listed`];
  if (counts.ignored)
    parts.push(`${counts.ignored} not extracted by the stack (filter or results)`);
  if (selection === "all") parts.push(`${counts.all} selected`);
  else {
    parts.push(`${counts.missing} without a result`);
    if (selection === "stale") parts.push(`${counts.stale} stale`, `${counts.current} current`);
    else parts.push(`${counts.current} with a result`);
  }
  return parts.join(", ");
}

async function followBatchJob(
  deps: BackfillDeps,
  runner: Extract<Runner, { kind: "batch" }>,
  jobId: string,
): Promise<JobDescriptor> {
  const line = new ProgressLine(deps.progress);
  const job = await followJob(
    runner.s3control,
    runner.target.accountId,
    jobId,
    (job) => {
      const summary = job.ProgressSummary ?? {};
      const done = (summary.NumberOfTasksSucceeded ?? 0) + (summary.NumberOfTasksFailed ?? 0);
      const failed = summary.NumberOfTasksFailed ? `, ${summary.NumberOfTasksFailed} failed` : "";
      line.show(`${job.Status} ${progressBar(done, summary.TotalNumberOfTasks ?? 0)}${failed}`);
    },
    deps.wait,
  );
  line.end();
  return job;
}

function describeFates(fates: FateCounts): string {
  return `${fates.stored} stored, ${fates.failed} failed, ${fates.waiting} waiting`;
}

/** Until each announced object is stored or dead-lettered, whatever else the queue holds. */
async function followQueue(
  deps: BackfillDeps,
  fates: QueueFates,
  sent: number,
): Promise<FateCounts> {
  const line = new ProgressLine(deps.progress);
  for (;;) {
    const counts = await fates.update();
    line.show(`${progressBar(sent - counts.waiting, sent)} ${describeFates(counts)}`);
    if (counts.waiting === 0) {
      line.end();
      return counts;
    }
    await deps.wait();
  }
}

export async function backfill(
  deps: BackfillDeps,
  options: BackfillOptions,
): Promise<BackfillReport> {
  const { target, runner, print } = deps;
  const counts = noCounts();
  const token = randomUUID();
  const folder = runFolder(target, token, new Date());
  const manifestKey = `${folder}manifest.csv`;
  const where = `s3://${target.uploadBucket}/${listingPrefix(target, options.prefix)}`;
  print(`selecting --${options.selection} objects under ${where}`);

  const objects = selectObjects(deps.s3, target, options, counts);
  if (options.dryRun) {
    for await (const _object of objects);
    const selected = selectedCount(counts);
    print(describeCounts(counts, options.selection));
    print(
      runner.kind === "batch"
        ? `dry run: would write ${plural(selected, "object")} to s3://${target.resultsBucket}/${manifestKey} ` +
            `and create a Batch Operations job invoking ${runner.target.functionArn} ` +
            `as ${runner.target.roleArn}`
        : `dry run: would send ${plural(selected, "object")} to ${runner.queueUrl}`,
    );
    return { counts, selected, exitCode: 0 };
  }

  const dir = await mkdtemp(path.join(tmpdir(), "s3-exiftool-backfill-"));
  try {
    const manifest = new ManifestFile(path.join(dir, "manifest.csv"));
    const fates =
      runner.kind === "queue"
        ? await QueueFates.start(deps.s3, runner.sqs, runner.deadLetterQueueUrl, target)
        : undefined;
    const announcer =
      runner.kind === "queue"
        ? new QueueAnnouncer(
            runner.sqs,
            runner.queueUrl,
            target.uploadBucket,
            runner.region,
            (key, sequencer) => fates!.announced(key, sequencer),
          )
        : undefined;
    try {
      for await (const object of objects) {
        await manifest.add(target.uploadBucket, object.key);
        await announcer?.add(object);
      }
      await announcer?.flush();
    } finally {
      await manifest.close();
    }
    const selected = manifest.count;
    print(describeCounts(counts, options.selection));
    if (selected === 0) {
      print("nothing to extract");
      return { counts, selected, exitCode: 0 };
    }
    const uploaded = await uploadObject(
      deps.s3,
      target.resultsBucket,
      manifestKey,
      createReadStream(manifest.path),
    );
    const manifestRef = { bucket: target.resultsBucket, key: manifestKey };
    print(`manifest: s3://${target.resultsBucket}/${manifestKey} (${plural(selected, "object")})`);

    if (runner.kind === "queue") {
      const sent = announcer!.sent;
      print(`sent ${plural(sent, "message")} to ${runner.queueUrl}`);
      const done = await followQueue(deps, fates!, sent);
      for (const { key, reason } of fates!.failures)
        print(`FAILED  ${printableKey(key)}: ${reason}`);
      const redrive = fates!.failures.some((failure) => failure.deadLettered)
        ? " (npm run redrive sends the dead-lettered back)"
        : "";
      print(`${plural(sent, "object")}: ${describeFates(done)}${redrive}`);
      return { counts, selected, manifest: manifestRef, sent, exitCode: done.failed > 0 ? 1 : 0 };
    }

    if (!uploaded.eTag) throw new Error(`the upload of ${manifestKey} returned no ETag`);
    const input = createJobInput(
      runner.target,
      { manifestKey, manifestETag: unquote(uploaded.eTag), reportPrefix: `${folder}report` },
      options.selection,
      token,
    );
    const jobId = await createJob(runner.s3control, input);
    print(`job ${jobId}`);
    const job = await followBatchJob(deps, runner, jobId);
    const failed = job.ProgressSummary?.NumberOfTasksFailed ?? 0;
    print(
      `job ${jobId} ${job.Status}: ${job.ProgressSummary?.NumberOfTasksSucceeded ?? 0} succeeded, ${failed} failed; ` +
        `completion report under s3://${target.resultsBucket}/${folder}report/job-${jobId}/`,
    );
    const exitCode = job.Status === "Complete" && failed === 0 ? 0 : 1;
    return { counts, selected, manifest: manifestRef, jobId, job, exitCode };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
