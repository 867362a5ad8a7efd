// Wires the components into one stack. index.ts calls this with the stack's
// config; tests call it with settings of their own under Pulumi's mocks.
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Alarms } from "./alarms";
import { PROJECT, parseSettings, resourcePrefix, type Settings } from "./config";
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from "../function/results/event-names";
import { FunctionImage, PROJECT_ROOT } from "./image";
import { FunctionLogs } from "./logs";
import { Pipeline } from "./pipeline";
import { ReleasePipeline } from "./release/release-pipeline";

/** The exiftool-vendored.pl version that package.json pins exactly. */
export function packageExiftoolVersion(root = PROJECT_ROOT): string {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const version = manifest.dependencies?.["exiftool-vendored.pl"];
  if (!version) throw new Error("package.json has no exiftool-vendored.pl dependency");
  return version;
}

/** The stack's settings from `s3-exiftool:*` config, validated. */
export function loadSettings(config = new pulumi.Config(PROJECT)): Settings {
  return parseSettings((key) => config.get(key), {
    exiftoolPackageVersion: packageExiftoolVersion(),
  });
}

export interface StackOutputs {
  uploadBucketName: pulumi.Output<string>;
  resultsBucketName: pulumi.Output<string>;
  resultsPrefix: string;
  resultsLocation: pulumi.Output<string>;
  queueUrl: pulumi.Output<string>;
  queueArn: pulumi.Output<string>;
  deadLetterQueueUrl: pulumi.Output<string>;
  deadLetterQueueArn: pulumi.Output<string>;
  functionName: pulumi.Output<string>;
  functionArn: pulumi.Output<string>;
  imageUri: pulumi.Output<string>;
  logGroupName: pulumi.Output<string>;
  eventBusName: string | undefined;
  eventSource: string | undefined;
  eventDetailType: string | undefined;
  // Only with `releasePipeline` set.
  releasePipelineName: pulumi.Output<string> | undefined;
  releasePipelineUrl: pulumi.Output<string> | undefined;
  releaseTopicArn: pulumi.Output<string> | undefined;
}

export function deployStack(settings: Settings, stack = pulumi.getStack()): StackOutputs {
  const prefix = resourcePrefix(stack);

  const image = new FunctionImage(`${prefix}-image`, {
    pins: settings,
    keepImages: settings.ecrKeepImages,
  });
  const logs = new FunctionLogs(`${prefix}-function`, {
    retentionInDays: settings.logRetentionDays,
  });
  const pipeline = new Pipeline(prefix, {
    settings,
    imageUri: image.imageUri,
    logGroupName: logs.logGroup.name,
    logGroupArn: logs.logGroup.arn,
  });
  new Alarms(`${prefix}-alarms`, {
    functionName: pipeline.function.name,
    queueName: pipeline.queue.queue.name,
    deadLetterQueueName: pipeline.queue.deadLetterQueue.name,
    queueAgeSeconds: settings.queueAgeAlarmSeconds,
    email: settings.alarmEmail,
  });

  const release =
    settings.releasePipeline &&
    new ReleasePipeline(`${prefix}-release`, {
      settings,
      release: settings.releasePipeline,
      stack,
      repository: image.repository,
    });

  const events = settings.enableEventBridge;
  return {
    uploadBucketName: pipeline.uploadBucket.name,
    resultsBucketName: pipeline.resultsBucket.name,
    resultsPrefix: settings.resultsPrefix,
    resultsLocation: pulumi.interpolate`s3://${pipeline.resultsBucket.name}/${settings.resultsPrefix}`,
    queueUrl: pipeline.queue.queue.url,
    queueArn: pipeline.queue.queue.arn,
    deadLetterQueueUrl: pipeline.queue.deadLetterQueue.url,
    deadLetterQueueArn: pipeline.queue.deadLetterQueue.arn,
    functionName: pipeline.function.name,
    functionArn: pipeline.function.arn,
    imageUri: image.imageUri,
    logGroupName: logs.logGroup.name,
    eventBusName: events ? settings.eventBusName : undefined,
    eventSource: events ? EVENT_SOURCE : undefined,
    eventDetailType: events ? EVENT_DETAIL_TYPE : undefined,
    releasePipelineName: release ? release.pipeline.name : undefined,
    releasePipelineUrl: release ? release.consoleUrl : undefined,
    releaseTopicArn: release ? release.topic.arn : undefined,
  };
}
