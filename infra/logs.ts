// The function's log group, created by the stack rather than by Lambda on
// first write, so retention applies from the start and teardown removes it.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface FunctionLogsArgs {
  retentionInDays: number;
}

export class FunctionLogs extends pulumi.ComponentResource {
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: FunctionLogsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:FunctionLogs", name, {}, opts);
    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { retentionInDays: args.retentionInDays },
      { parent: this },
    );
    this.registerOutputs({ name: this.logGroup.name, arn: this.logGroup.arn });
  }
}
