// The trust policy of a role that one AWS service assumes, optionally only
// on behalf of this account, and of this stack's resources (against the
// confused deputy).
import type * as aws from "@pulumi/aws";

/**
 * `sourceArn` is an ARN pattern (ArnLike): the service resources that may use
 * the role, named with the stack's prefix because Pulumi names them only at
 * creation, after the role exists.
 */
export function serviceTrust(service: string, sourceAccount?: string, sourceArn?: string): string {
  const document: aws.iam.PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(sourceAccount && {
          Condition: {
            StringEquals: { "aws:SourceAccount": sourceAccount },
            ...(sourceArn && { ArnLike: { "aws:SourceArn": sourceArn } }),
          },
        }),
      },
    ],
  };
  return JSON.stringify(document);
}
