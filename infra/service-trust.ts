// The trust policy of a role that one AWS service assumes, optionally only
// on behalf of this account (against the confused deputy).
import type * as aws from "@pulumi/aws";

export function serviceTrust(service: string, sourceAccount?: string): string {
  const document: aws.iam.PolicyDocument = {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
        ...(sourceAccount && {
          Condition: { StringEquals: { "aws:SourceAccount": sourceAccount } },
        }),
      },
    ],
  };
  return JSON.stringify(document);
}
