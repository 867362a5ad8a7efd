// The role S3 Batch Operations assumes for `npm run backfill`: invoke this
// stack's function, read the manifests the backfill writes and write the
// job's completion report, all under one folder of the results location.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "./bounded-role";
import { backfillPrefix } from "./backfill-contract";
import { serviceTrust } from "./service-trust";

export interface BatchOperationsAccess {
  functionArn: string;
  resultsBucketArn: string;
  resultsPrefix: string;
  accountId: string;
}

/** The least-privilege policy; pure so tests can inspect it directly. */
export function batchOperationsPolicy(access: BatchOperationsAccess): aws.iam.PolicyDocument {
  const folder = `${access.resultsBucketArn}/${backfillPrefix(access.resultsPrefix)}*`;
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "InvokeFunction",
        Effect: "Allow",
        Action: ["lambda:InvokeFunction"],
        Resource: [access.functionArn],
      },
      {
        Sid: "ReadManifests",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:GetObjectVersion"],
        Resource: [folder],
      },
      {
        Sid: "WriteReports",
        Effect: "Allow",
        Action: ["s3:PutObject"],
        Resource: [folder],
      },
      {
        // Batch Operations checks the report bucket's region before the job starts.
        Sid: "LocateReportBucket",
        Effect: "Allow",
        Action: ["s3:GetBucketLocation"],
        Resource: [access.resultsBucketArn],
      },
    ],
  };
}

export interface BatchOperationsRoleArgs extends BoundedRoleArgs {
  access: pulumi.Input<BatchOperationsAccess>;
}

export class BatchOperationsRole extends pulumi.ComponentResource {
  readonly role: aws.iam.Role;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: BatchOperationsRoleArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:BatchOperationsRole", name, {}, opts);
    const access = pulumi.output(args.access) as pulumi.Output<BatchOperationsAccess>;

    this.role = new aws.iam.Role(
      name,
      {
        // only S3 Batch Operations, and only for jobs of this account
        assumeRolePolicy: access.apply((a) =>
          serviceTrust("batchoperations.s3.amazonaws.com", a.accountId),
        ),
        permissionsBoundary: args.permissionsBoundary,
      },
      { parent: this },
    );
    const policy = new aws.iam.RolePolicy(
      name,
      {
        role: this.role.id,
        policy: access.apply((a) => JSON.stringify(batchOperationsPolicy(a))),
      },
      { parent: this },
    );
    // A job created before the policy exists would fail its first tasks.
    this.arn = pulumi.all([this.role.arn, policy.id]).apply(([arn]) => arn);
    this.registerOutputs({ arn: this.arn });
  }
}
