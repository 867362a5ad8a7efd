// Each pipeline run's result, sent to the release topic by an EventBridge rule
// on CodePipeline's execution events (named with the stack's prefix, so the
// deploy role can manage it without reaching other rules).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Final states of a pipeline execution: one message per run. */
export const RUN_RESULTS = ["SUCCEEDED", "FAILED", "STOPPED", "SUPERSEDED"];

export interface RunNotificationsArgs {
  topicArn: pulumi.Input<string>;
  pipelineName: pulumi.Input<string>;
}

export class RunNotifications extends pulumi.ComponentResource {
  readonly rule: aws.cloudwatch.EventRule;

  constructor(name: string, args: RunNotificationsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:release:RunNotifications", name, {}, opts);
    const child = { parent: this };

    this.rule = new aws.cloudwatch.EventRule(
      name,
      {
        description: "s3-exiftool release pipeline: result of each run",
        eventPattern: pulumi.output(args.pipelineName).apply((pipeline) =>
          JSON.stringify({
            source: ["aws.codepipeline"],
            "detail-type": ["CodePipeline Pipeline Execution State Change"],
            detail: { pipeline: [pipeline], state: RUN_RESULTS },
          }),
        ),
      },
      child,
    );
    new aws.cloudwatch.EventTarget(
      name,
      {
        rule: this.rule.name,
        arn: args.topicArn,
        inputTransformer: {
          inputPaths: {
            pipeline: "$.detail.pipeline",
            execution: "$.detail.execution-id",
            state: "$.detail.state",
            region: "$.region",
          },
          inputTemplate:
            '"Release pipeline <pipeline> run <execution>: <state>. ' +
            'https://<region>.console.aws.amazon.com/codesuite/codepipeline/pipelines/<pipeline>/executions/<execution>/timeline"',
        },
      },
      child,
    );
    new aws.sns.TopicPolicy(
      name,
      {
        arn: args.topicArn,
        policy: pulumi.all([args.topicArn, this.rule.arn]).apply(([topic, rule]) =>
          JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Sid: "RunResultsFromThisRule",
                Effect: "Allow",
                Principal: { Service: "events.amazonaws.com" },
                Action: "sns:Publish",
                Resource: topic,
                Condition: { ArnEquals: { "aws:SourceArn": rule } },
              },
            ],
          }),
        ),
      },
      child,
    );
    this.registerOutputs({ rule: this.rule.name });
  }
}
