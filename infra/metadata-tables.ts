// S3 Metadata on the upload bucket: the journal table (and the live inventory
// table when asked) through the provider's BucketMetadataConfiguration, and
// the annotation table, which the provider does not cover yet, through
// annotation-table.ts. S3 keeps the tables in the account's AWS managed table
// bucket `aws-s3`, namespace `b_<bucket>`.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { BoundedRoleArgs } from "./bounded-role";
import { AnnotationTable } from "./annotation-table";
import { serviceTrust } from "./service-trust";

export interface MetadataTablesArgs extends BoundedRoleArgs {
  bucketName: pulumi.Input<string>;
  bucketArn: pulumi.Input<string>;
  region: pulumi.Input<string>;
  accountId: pulumi.Input<string>;
  inventory: boolean;
  journalDays: number;
}

/** What S3 Metadata may do with the bucket to fill the annotation table: read annotations, nothing else. */
export function annotationReaderPolicy(bucketArn: string): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadAnnotations",
        Effect: "Allow",
        Action: [
          "s3:GetObjectAnnotation",
          "s3:GetObjectVersionAnnotation",
          "s3:ListObjectAnnotations",
          "s3:ListObjectVersionAnnotations",
        ],
        Resource: [`${bucketArn}/*`],
      },
      {
        // the backfill of a new annotation table walks the bucket's objects
        Sid: "ListObjects",
        Effect: "Allow",
        Action: ["s3:ListBucket", "s3:ListBucketVersions"],
        Resource: [bucketArn],
      },
    ],
  };
}

export class MetadataTables extends pulumi.ComponentResource {
  readonly configuration: aws.s3.BucketMetadataConfiguration;
  readonly annotationTable: AnnotationTable;
  /** The table bucket namespace of this bucket's tables, as S3 reports it. */
  readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: MetadataTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:MetadataTables", name, {}, opts);
    const child = { parent: this };

    this.configuration = new aws.s3.BucketMetadataConfiguration(
      name,
      {
        bucket: args.bucketName,
        metadataConfiguration: {
          journalTableConfiguration: {
            recordExpiration: { expiration: "ENABLED", days: args.journalDays },
          },
          inventoryTableConfiguration: {
            configurationState: args.inventory ? "ENABLED" : "DISABLED",
          },
        },
      },
      child,
    );

    const role = new aws.iam.Role(
      `${name}-annotations`,
      {
        assumeRolePolicy: pulumi
          .output(args.accountId)
          .apply((account) => serviceTrust("metadata.s3.amazonaws.com", account)),
        permissionsBoundary: args.permissionsBoundary,
      },
      child,
    );
    const policy = new aws.iam.RolePolicy(
      `${name}-annotations`,
      {
        role: role.id,
        policy: pulumi
          .output(args.bucketArn)
          .apply((arn) => JSON.stringify(annotationReaderPolicy(arn))),
      },
      child,
    );

    this.annotationTable = new AnnotationTable(
      `${name}-annotations`,
      { bucket: args.bucketName, region: args.region, roleArn: role.arn },
      // S3 refuses the update before the configuration exists, and would
      // start the backfill without the role's permissions
      { ...child, dependsOn: [this.configuration, policy] },
    );

    this.namespace = this.configuration.metadataConfiguration.apply((configuration) => {
      const namespace = configuration.destinations?.[0]?.tableNamespace;
      if (namespace === undefined) throw new Error("S3 Metadata reported no table namespace");
      return namespace;
    });
    this.registerOutputs({ namespace: this.namespace });
  }
}
