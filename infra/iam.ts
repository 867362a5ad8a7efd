// The function's execution role: one role, one inline policy, each statement
// scoped to a resource this stack owns or names in its config.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "./bounded-role";
import { serviceTrust } from "./service-trust";

/** The ARNs and key prefixes the function may touch, resolved. */
export interface FunctionAccess {
  uploadBucketArn: string;
  /** Only objects under this prefix are read ("" for the whole bucket). */
  uploadPrefix: string;
  resultsBucketArn: string;
  /** Results are written only under this prefix ("" for the whole bucket). */
  resultsPrefix: string;
  queueArn: string;
  logGroupArn: string;
  /** Set only when EventBridge delivery is enabled. */
  eventBusArn?: string;
  /** Results are written as annotations on the uploaded objects. */
  annotateUploads: boolean;
  /** Results are `.json` objects, removed when their object is (the function's conditional delete). */
  deleteResults: boolean;
}

/** Results as events on the configured bus (with EventBridge on). */
export function publishResults(eventBusArn: string): aws.iam.PolicyStatement {
  return {
    Sid: "PublishResults",
    Effect: "Allow",
    Action: ["events:PutEvents"],
    Resource: [eventBusArn],
  };
}

/** The least-privilege policy document; pure so tests can inspect it directly. */
export function functionPolicy(access: FunctionAccess): aws.iam.PolicyDocument {
  const statements: aws.iam.PolicyStatement[] = [
    {
      Sid: "ReadUploads",
      Effect: "Allow",
      // notifications are read at the current version; an S3 Batch Operations
      // task names a version, and reading one takes GetObjectVersion
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      Resource: [`${access.uploadBucketArn}/${access.uploadPrefix}*`],
    },
    {
      Sid: "TellDeletedFromDenied",
      Effect: "Allow",
      // Without ListBucket, S3 answers 403 for a missing key instead of 404, and an
      // object deleted before it was read would be retried into the DLQ as
      // "access denied". S3 decides 404 on the bucket-level permission, so a
      // prefix condition would not do; it exposes key names, not contents.
      Action: ["s3:ListBucket"],
      Resource: [access.uploadBucketArn],
    },
    {
      Sid: "WriteResults",
      Effect: "Allow",
      // GetObject for the HEAD and the If-Match that keep a write from
      // replacing an object the function did not write (s3-result-sink.ts);
      // DeleteObject for the result of a removed object, under the prefix only.
      // A record too large for an annotation is stored here too.
      Action: [
        "s3:GetObject",
        "s3:PutObject",
        ...(access.deleteResults ? ["s3:DeleteObject"] : []),
      ],
      Resource: [`${access.resultsBucketArn}/${access.resultsPrefix}*`],
    },
    {
      Sid: "ConsumeQueue",
      Effect: "Allow",
      Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
      Resource: [access.queueArn],
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      // Log streams are named by Lambda at run time: the ":*" covers the
      // streams of this one group, not other groups.
      Resource: [`${access.logGroupArn}:*`],
    },
  ];
  if (access.annotateUploads) {
    statements.push({
      Sid: "AnnotateUploads",
      Effect: "Allow",
      // S3 authorizes PutObjectAnnotation as PutObjectVersionAnnotation when
      // the request names a version (a Batch Operations task does). Reading
      // annotations back is the operators' business, not the function's.
      Action: ["s3:PutObjectAnnotation", "s3:PutObjectVersionAnnotation"],
      Resource: [`${access.uploadBucketArn}/${access.uploadPrefix}*`],
    });
  }
  if (access.eventBusArn !== undefined) statements.push(publishResults(access.eventBusArn));
  // CloudWatch PutMetricData has no resource-level permissions (AWS requires
  // "*"), so the function publishes metrics through the Embedded Metric
  // Format in its logs instead and the role needs no such statement.
  return { Version: "2012-10-17", Statement: statements };
}

export interface FunctionRoleArgs extends BoundedRoleArgs {
  access: pulumi.Input<FunctionAccess>;
}

export class FunctionRole extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: FunctionRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:FunctionRole", name, {}, opts);

    this.role = new aws.iam.Role(
      name,
      {
        assumeRolePolicy: serviceTrust("lambda.amazonaws.com"),
        permissionsBoundary: args.permissionsBoundary,
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        policy: pulumi
          .output(args.access)
          .apply((access) => JSON.stringify(functionPolicy(access as FunctionAccess))),
      },
      { parent: this },
    );
    // The function must not start polling before it may read the queue.
    this.arn = pulumi.all([this.role.arn, policy.id]).apply(([arn]) => arn);
    this.registerOutputs({ arn: this.arn });
  }
}
