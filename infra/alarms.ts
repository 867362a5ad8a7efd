// Alarms for the failure modes of the pipeline: messages that gave up (DLQ),
// messages that wait too long, and a function that fails or is throttled.
// With an e-mail address in config they notify through an SNS topic.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface AlarmsArgs {
  functionName: pulumi.Input<string>;
  queueName: pulumi.Input<string>;
  deadLetterQueueName: pulumi.Input<string>;
  /** Threshold for the age of the oldest queued message, in seconds. */
  queueAgeSeconds: number;
  /** "" for alarms without notification. */
  email: string;
}

export class Alarms extends pulumi.ComponentResource {
  readonly topic?: aws.sns.Topic;
  readonly alarms: aws.cloudwatch.MetricAlarm[];

  constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:Alarms", name, {}, opts);
    const child = { parent: this };

    if (args.email !== "") {
      // Not KMS-encrypted: CloudWatch cannot publish to a topic under the
      // AWS-managed aws/sns key, and alarm texts hold no object data.
      this.topic = new aws.sns.Topic(name, {}, child);
      new aws.sns.TopicSubscription(
        name,
        { topic: this.topic.arn, protocol: "email", endpoint: args.email },
        child,
      );
    }
    const actions = this.topic ? [this.topic.arn] : [];

    const alarm = (
      suffix: string,
      description: string,
      metric: Pick<
        aws.cloudwatch.MetricAlarmArgs,
        "namespace" | "metricName" | "dimensions" | "statistic" | "period" | "threshold"
      >,
    ): aws.cloudwatch.MetricAlarm =>
      new aws.cloudwatch.MetricAlarm(
        `${name}-${suffix}`,
        {
          alarmDescription: description,
          comparisonOperator: "GreaterThanThreshold",
          evaluationPeriods: 1,
          // No data means no traffic, which is not a failure.
          treatMissingData: "notBreaching",
          alarmActions: actions,
          okActions: actions,
          ...metric,
        },
        child,
      );

    this.alarms = [
      alarm(
        "dlq-depth",
        "Messages reached the dead-letter queue: their objects were not extracted",
        {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: args.deadLetterQueueName },
          statistic: "Maximum",
          period: 60,
          threshold: 0,
        },
      ),
      alarm("queue-age", "The oldest queued upload has waited longer than expected", {
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: args.queueName },
        statistic: "Maximum",
        period: 60,
        threshold: args.queueAgeSeconds,
      }),
      alarm("function-errors", "The extraction function failed", {
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: args.functionName },
        statistic: "Sum",
        period: 300,
        threshold: 0,
      }),
      alarm("function-throttles", "The extraction function was throttled", {
        namespace: "AWS/Lambda",
        metricName: "Throttles",
        dimensions: { FunctionName: args.functionName },
        statistic: "Sum",
        period: 300,
        threshold: 0,
      }),
    ];
    this.registerOutputs({ topicArn: this.topic?.arn });
  }
}
