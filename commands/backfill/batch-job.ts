// The S3 Batch Operations job of a backfill: CreateJob with a LambdaInvoke
// of the stack's function (invocation schema 2.0), the manifest the backfill
// wrote, a completion report beside it, the stack's role; then DescribeJob
// until the job ends.
import {
  CreateJobCommand,
  DescribeJobCommand,
  type CreateJobCommandInput,
  type JobDescriptor,
  type S3ControlClient,
} from "@aws-sdk/client-s3-control";
import { MANIFEST_FIELDS, MANIFEST_FORMAT } from "./manifest";
import type { Selection } from "./selection";
import type { BatchTarget } from "./target";

/** The partition of an ARN: "aws", "aws-cn", "aws-us-gov". */
const partitionOf = (arn: string): string => arn.split(":")[1] ?? "aws";

export interface JobFiles {
  manifestKey: string;
  manifestETag: string;
  /** The report prefix, without a trailing slash (Batch Operations adds `/job-<id>/`). */
  reportPrefix: string;
}

export function createJobInput(
  target: BatchTarget,
  files: JobFiles,
  selection: Selection,
  clientRequestToken: string,
): CreateJobCommandInput {
  const s3Arn = `arn:${partitionOf(target.functionArn)}:s3:::`;
  return {
    AccountId: target.accountId,
    ConfirmationRequired: false,
    ClientRequestToken: clientRequestToken,
    Description: `s3-exiftool backfill (--${selection})`,
    Priority: 10,
    RoleArn: target.roleArn,
    Operation: {
      LambdaInvoke: {
        FunctionArn: target.functionArn,
        InvocationSchemaVersion: "2.0",
        // Reaches the function as job.userArguments: its logs name the run.
        UserArguments: { origin: "s3-exiftool backfill", selection },
      },
    },
    Manifest: {
      Spec: { Format: MANIFEST_FORMAT, Fields: [...MANIFEST_FIELDS] },
      Location: {
        ObjectArn: `${s3Arn}${target.resultsBucket}/${files.manifestKey}`,
        ETag: files.manifestETag,
      },
    },
    Report: {
      Enabled: true,
      Bucket: `${s3Arn}${target.resultsBucket}`,
      Prefix: files.reportPrefix,
      Format: "Report_CSV_20180820",
      ReportScope: "AllTasks",
    },
  };
}

export async function createJob(
  client: S3ControlClient,
  input: CreateJobCommandInput,
): Promise<string> {
  const { JobId } = await client.send(new CreateJobCommand(input));
  if (!JobId) throw new Error("CreateJob returned no JobId");
  return JobId;
}

const ENDED = new Set(["Complete", "Failed", "Cancelled"]);

/** Polls DescribeJob until the job has ended; returns its last description. */
export async function followJob(
  client: S3ControlClient,
  accountId: string,
  jobId: string,
  onProgress: (job: JobDescriptor) => void,
  wait: () => Promise<void>,
): Promise<JobDescriptor> {
  for (;;) {
    const { Job } = await client.send(
      new DescribeJobCommand({ AccountId: accountId, JobId: jobId }),
    );
    if (!Job) throw new Error(`DescribeJob ${jobId} returned no job`);
    onProgress(Job);
    if (ENDED.has(Job.Status ?? "")) return Job;
    await wait();
  }
}
