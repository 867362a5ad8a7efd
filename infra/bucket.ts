// A private, encrypted, TLS-only S3 bucket: the one shape both the upload and
// the results bucket take when this stack creates them.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Bucket policy statement that refuses every request not sent over TLS. */
export function denyInsecureTransport(bucketArn: string): aws.iam.PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "DenyInsecureTransport",
        // A Deny: the wildcards widen what is refused, never what is allowed.
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      },
    ],
  };
}

export interface SecureBucketArgs {
  /** Let `pulumi destroy` delete a bucket that still holds objects. */
  forceDestroy: boolean;
}

export class SecureBucket extends pulumi.ComponentResource {
  readonly bucket: aws.s3.Bucket;
  readonly name: pulumi.Output<string>;
  readonly arn: pulumi.Output<string>;

  constructor(name: string, args: SecureBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:SecureBucket", name, {}, opts);
    const child = { parent: this };

    this.bucket = new aws.s3.Bucket(name, { forceDestroy: args.forceDestroy }, child);
    new aws.s3.BucketPublicAccessBlock(
      name,
      {
        bucket: this.bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketOwnershipControls(
      name,
      { bucket: this.bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      name,
      {
        bucket: this.bucket.id,
        rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
      },
      child,
    );
    new aws.s3.BucketPolicy(
      name,
      {
        bucket: this.bucket.id,
        policy: this.bucket.arn.apply((arn) => JSON.stringify(denyInsecureTransport(arn))),
      },
      child,
    );

    this.name = this.bucket.bucket;
    this.arn = this.bucket.arn;
    this.registerOutputs({ name: this.name, arn: this.arn });
  }
}
