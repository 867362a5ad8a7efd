// One CloudWatch dashboard for the pipeline: throughput, failures by type,
// the queues' backlog, per-object duration, the bytes the range reads save,
// the objects acknowledged without a result, annotations and the results
// deleted with their objects, and the function's concurrency. The function's own metrics carry the
// `service` dimension Powertools adds to every metric.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { SERVICE_NAME } from "../function/environment";

export interface DashboardNames {
  region: string;
  /** Namespace of the function's metrics (`metricsNamespace`). */
  namespace: string;
  functionName: string;
  queueName: string;
  deadLetterQueueName: string;
}

type Metric = (string | Record<string, unknown>)[];

interface Widget {
  type: "metric";
  x: number;
  y: number;
  width: number;
  height: number;
  properties: Record<string, unknown>;
}

const WIDTH = 8;
const HEIGHT = 6;
const PERIOD = 300;

/** The dashboard body; pure so tests can read every widget. */
export function dashboardBody(names: DashboardNames): { widgets: Widget[] } {
  const own = (metric: string, options: Record<string, unknown> = {}): Metric => [
    names.namespace,
    metric,
    "service",
    SERVICE_NAME,
    options,
  ];
  const panels: [string, Metric[], Record<string, unknown>?][] = [
    ["Objects processed", [own("ObjectsProcessed", { stat: "Sum" })]],
    [
      "Failures by type",
      [
        [
          {
            expression: `SEARCH('{${names.namespace},FailureType,service} MetricName="Failures" service="${SERVICE_NAME}"', 'Sum', ${PERIOD})`,
            id: "failures",
            label: "",
          },
        ],
      ],
    ],
    [
      "Dead-letter queue depth",
      [
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          names.deadLetterQueueName,
          { stat: "Maximum" },
        ],
      ],
    ],
    [
      "Age of the oldest queued message (s)",
      [
        [
          "AWS/SQS",
          "ApproximateAgeOfOldestMessage",
          "QueueName",
          names.queueName,
          { stat: "Maximum" },
        ],
      ],
    ],
    [
      "Extraction duration per object (ms)",
      [
        own("Duration", { stat: "p50", label: "p50" }),
        own("Duration", { stat: "p99", label: "p99" }),
      ],
    ],
    [
      "Bytes read against object size",
      [
        own("BytesRead", { stat: "Sum", label: "bytes read" }),
        own("ObjectSize", { stat: "Sum", label: "object size" }),
      ],
    ],
    [
      "Acknowledged without a result (objects)",
      [
        own("FailuresRecorded", { stat: "Sum", label: "failure recorded" }),
        own("ObjectsDeletedBeforeRead", { stat: "Sum", label: "deleted before read" }),
        own("ObjectsArchived", { stat: "Sum", label: "archived" }),
        own("ResultsSuperseded", { stat: "Sum", label: "newer version's result kept" }),
      ],
    ],
    [
      "Annotations and deleted results",
      [
        own("AnnotationsWritten", { stat: "Sum", label: "annotations written" }),
        own("AnnotationsRefused", { stat: "Sum", label: "annotations refused" }),
        own("ResultsDeleted", { stat: "Sum", label: "results deleted with their object" }),
      ],
    ],
    [
      "Concurrent executions",
      [
        [
          "AWS/Lambda",
          "ConcurrentExecutions",
          "FunctionName",
          names.functionName,
          { stat: "Maximum" },
        ],
      ],
    ],
  ];
  const perRow = 24 / WIDTH;
  return {
    widgets: panels.map(([title, metrics], i) => ({
      type: "metric",
      x: (i % perRow) * WIDTH,
      y: Math.floor(i / perRow) * HEIGHT,
      width: WIDTH,
      height: HEIGHT,
      properties: {
        title,
        region: names.region,
        metrics,
        period: PERIOD,
        view: "timeSeries",
        stacked: false,
      },
    })),
  };
}

export interface DashboardArgs {
  region: pulumi.Input<string>;
  namespace: string;
  functionName: pulumi.Input<string>;
  queueName: pulumi.Input<string>;
  deadLetterQueueName: pulumi.Input<string>;
}

export class Dashboard extends pulumi.ComponentResource {
  readonly dashboard: aws.cloudwatch.Dashboard;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: DashboardArgs, opts?: pulumi.ComponentResourceOptions) {
    super("s3-exiftool:infra:Dashboard", name, {}, opts);
    const region = args.region;

    this.dashboard = new aws.cloudwatch.Dashboard(
      name,
      {
        // Dashboards have no generated suffix: the stack's prefix keeps stacks apart.
        dashboardName: name,
        dashboardBody: pulumi
          .all([region, args.functionName, args.queueName, args.deadLetterQueueName])
          .apply(([region, functionName, queueName, deadLetterQueueName]) =>
            JSON.stringify(
              dashboardBody({
                region,
                namespace: args.namespace,
                functionName,
                queueName,
                deadLetterQueueName,
              }),
            ),
          ),
      },
      { parent: this },
    );
    this.url = pulumi.interpolate`https://console.aws.amazon.com/cloudwatch/home?region=${region}#dashboards:name=${this.dashboard.dashboardName}`;
    this.registerOutputs({ url: this.url });
  }
}
