// The data path: upload bucket -> S3 notification -> SQS (with DLQ) -> Lambda
// -> results bucket or prefix, and EventBridge when enabled.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "./bounded-role";
import { SecureBucket } from "./bucket";
import { functionEnvironment } from "../function/environment";
import { writesAnnotations, writesResultObjects, type LogLevel, type Settings } from "./config";
import { stackFunctionSettings } from "./function-settings";
import { FunctionRole } from "./iam";
import { WorkQueue } from "./queue";
import { existingUploadBucket } from "./upload-bucket";

export interface PipelineArgs extends BoundedRoleArgs {
  settings: Settings;
  /** Image by digest (`repo@sha256:...`). */
  imageUri: pulumi.Input<string>;
  logGroupName: pulumi.Input<string>;
  logGroupArn: pulumi.Input<string>;
}

interface BucketRef {
  name: pulumi.Output<string>;
  arn: pulumi.Output<string>;
}

/**
 * The function's log settings. JSON logs switch on Lambda's own level filter,
 * which sets AWS_LAMBDA_LOG_LEVEL, and Powertools lets that variable win over
 * LOG_LEVEL: left at Lambda's default (INFO), `logLevel: DEBUG` would be
 * dropped. Lambda gives a line without a level, as Powertools' EMF metrics
 * are, the level INFO (Lambda: Log-level filtering), so a filter above INFO
 * would drop every metric: WARN and ERROR use text logs, which Lambda does
 * not filter, and Powertools then obeys LOG_LEVEL (its lines stay JSON).
 */
export function functionLogging(
  level: LogLevel,
  logGroup: pulumi.Input<string>,
): aws.types.input.lambda.FunctionLoggingConfig {
  if (level === "WARN" || level === "ERROR") return { logFormat: "Text", logGroup };
  return { logFormat: "JSON", logGroup, applicationLogLevel: level, systemLogLevel: level };
}

/**
 * What the upload bucket announces: every new object, and with results kept as
 * objects also each removal (a delete, or a delete marker in a versioned
 * bucket), so that the function removes that object's result. Annotations need
 * no removal events: S3 deletes them with their object version.
 */
export function notificationEvents(settings: Pick<Settings, "resultDestination">): string[] {
  const created = ["s3:ObjectCreated:*"];
  if (!writesResultObjects(settings)) return created;
  return [...created, "s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"];
}

export class Pipeline extends pulumi.ComponentResource {
  readonly uploadBucket: BucketRef;
  readonly resultsBucket: BucketRef;
  readonly queue: WorkQueue;
  readonly function: aws.lambda.Function;

  constructor(name: string, args: PipelineArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:Pipeline", name, {}, opts);
    const child = { parent: this };
    const s = args.settings;

    // An existing bucket is looked up (so preview fails if it is missing) but
    // not reconfigured: its policy and settings belong to its owner. The
    // upload bucket is also checked: this stack sets its notifications.
    const existing = (bucket: string): BucketRef => {
      const found = aws.s3.getBucketOutput({ bucket }, child);
      return { name: found.bucket, arn: found.arn };
    };
    const created = (suffix: string, forceDestroy: boolean): BucketRef => {
      const bucket = new SecureBucket(`${name}-${suffix}`, { forceDestroy }, child);
      return { name: bucket.name, arn: bucket.arn };
    };

    // Teardown may delete results (they can be extracted again) but refuses
    // to delete uploads that are still there: those are the users' data.
    const existingUploads = s.uploadBucketName
      ? existingUploadBucket(s.uploadBucketName, child)
      : undefined;
    this.uploadBucket = existingUploads ?? created("uploads", false);
    this.resultsBucket = s.resultsInUploadBucket
      ? this.uploadBucket
      : s.resultsBucketName
        ? existing(s.resultsBucketName)
        : created("results", true);

    const account = aws.getCallerIdentityOutput({}, child);
    this.queue = new WorkQueue(
      `${name}-queue`,
      {
        functionTimeout: s.timeout,
        maximumBatchingWindow: s.maximumBatchingWindow,
        maxReceiveCount: s.maxReceiveCount,
        sourceBucketArn: this.uploadBucket.arn,
        sourceAccountId: account.accountId,
      },
      child,
    );

    const eventBusArn = s.enableEventBridge
      ? aws.cloudwatch.getEventBusOutput({ name: s.eventBusName }, child).arn
      : undefined;
    const role = new FunctionRole(
      `${name}-function`,
      {
        access: pulumi
          .all([
            this.uploadBucket.arn,
            this.resultsBucket.arn,
            this.queue.queue.arn,
            args.logGroupArn,
            eventBusArn,
          ])
          .apply(([uploadBucketArn, resultsBucketArn, queueArn, logGroupArn, busArn]) => ({
            uploadBucketArn,
            uploadPrefix: s.filterPrefix,
            resultsBucketArn,
            resultsPrefix: s.resultsPrefix,
            queueArn,
            logGroupArn,
            ...(busArn === undefined ? {} : { eventBusArn: busArn }),
            annotateUploads: writesAnnotations(s),
            deleteResults: writesResultObjects(s),
          })),
        permissionsBoundary: args.permissionsBoundary,
      },
      child,
    );

    this.function = new aws.lambda.Function(
      `${name}-function`,
      {
        packageType: "Image",
        imageUri: args.imageUri,
        architectures: ["arm64"],
        role: role.arn,
        memorySize: s.memorySize,
        timeout: s.timeout,
        reservedConcurrentExecutions: s.reservedConcurrency,
        ephemeralStorage: { size: s.ephemeralStorageSize },
        loggingConfig: functionLogging(s.logLevel, args.logGroupName),
        environment: {
          variables: pulumi
            .all([this.uploadBucket.name, this.resultsBucket.name])
            .apply(([uploadBucket, resultsBucket]) =>
              functionEnvironment(stackFunctionSettings(s, { uploadBucket, resultsBucket })),
            ),
        },
      },
      child,
    );

    new aws.lambda.EventSourceMapping(
      `${name}-queue`,
      {
        eventSourceArn: this.queue.queue.arn,
        functionName: this.function.arn,
        batchSize: s.batchSize,
        maximumBatchingWindowInSeconds: s.maximumBatchingWindow,
        scalingConfig: { maximumConcurrency: s.maximumConcurrency },
        // The handler reports failed records; only those return to the queue.
        functionResponseTypes: ["ReportBatchItemFailures"],
      },
      child,
    );

    // S3 checks that it may send to the queue when the notification is put,
    // so the queue policy must exist first (on a first `up` it may not have
    // propagated yet, and the provider does not retry: docs/deploy.md says to run
    // `up` again). This resource owns the bucket's
    // whole notification configuration (S3 has no per-rule API), EventBridge
    // delivery included: an existing bucket keeps the flag it has.
    new aws.s3.BucketNotification(
      `${name}-uploads`,
      {
        bucket: this.uploadBucket.name,
        ...(existingUploads ? { eventbridge: existingUploads.eventBridge } : {}),
        queues: [
          {
            queueArn: this.queue.queue.arn,
            events: notificationEvents(s),
            ...(s.filterPrefix ? { filterPrefix: s.filterPrefix } : {}),
            ...(s.filterSuffix ? { filterSuffix: s.filterSuffix } : {}),
          },
        ],
      },
      { ...child, dependsOn: [this.queue.policy] },
    );

    this.registerOutputs({
      uploadBucketName: this.uploadBucket.name,
      resultsBucketName: this.resultsBucket.name,
      functionArn: this.function.arn,
    });
  }
}
