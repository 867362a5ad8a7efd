// Wires the components into one stack. index.ts calls this with the stack's
// config; tests call it with settings of their own under Pulumi's mocks.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { Alarms } from "./alarms";
import { exiftoolRelease } from "./backfill-contract";
import { BatchOperationsRole } from "./batch-operations-role";
import { AnnotationQueries } from "./athena";
import { ANNOTATION_TABLE, METADATA_CATALOG } from "./athena-queries";
import {
  CONFIG_KEYS,
  enablesS3Metadata,
  PROJECT,
  parseSettings,
  resourcePrefix,
  type Settings,
} from "./config";
import { MetadataTables } from "./metadata-tables";
import type { ExtractionLimits } from "../function/environment";
import { EVENT_DETAIL_TYPE, EVENT_SOURCE } from "../function/results/event-names";
import { Dashboard } from "./dashboard";
import { stackExtractionLimits } from "./function-settings";
import { FunctionImage, PROJECT_ROOT } from "./image";
import { FunctionLogs } from "./logs";
import { packageExiftoolVersion } from "./package-pins";
import { Pipeline } from "./pipeline";
import { checkKnownKeys } from "./unknown-keys";
import { ReleasePipeline } from "./release/release-pipeline";
import { RoleBoundary, stackBoundary } from "./release/role-boundary";

/**
 * The stack's settings from `s3-exiftool:*` config, validated. Unknown keys
 * are refused too: Pulumi passes them along and nothing else would read them.
 */
export function loadSettings(config = new pulumi.Config(PROJECT)): Settings {
  checkKnownKeys(
    Object.keys(pulumi.runtime.allConfig()),
    CONFIG_KEYS,
    `Pulumi.${pulumi.getStack()}.yaml`,
  );
  return parseSettings((key) => config.get(key), {
    exiftoolPackageVersion: packageExiftoolVersion(PROJECT_ROOT),
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
  // What `npm run backfill` needs (commands/backfill/ reads them).
  accountId: pulumi.Output<string>;
  region: pulumi.Output<string>;
  batchOperationsRoleArn: pulumi.Output<string>;
  filterPrefix: string;
  filterSuffix: string;
  /** ExifTool's release and options as the function records them in each result. */
  exiftoolVersion: string;
  exiftoolOptions: string[];
  /** The limits a failed result records; backfill --stale compares them. */
  extractionLimits: ExtractionLimits;
  dashboardName: pulumi.Output<string>;
  dashboardUrl: pulumi.Output<string>;
  /** Where results go (`bucket`, `annotation`, `both`) and the annotation's name. */
  resultDestination: string;
  annotationName: string;
  // Only with S3 Metadata on (`s3Metadata`, docs/athena.md).
  athenaWorkgroup: pulumi.Output<string> | undefined;
  athenaCatalog: string | undefined;
  athenaDatabase: pulumi.Output<string> | undefined;
  annotationTable: string | undefined;
  /** Named query IDs by name (`ByCamera`, ...), for `aws athena get-named-query`. */
  athenaNamedQueries: Record<string, pulumi.Output<string>> | undefined;
  // Only with `releasePipeline` set.
  releasePipelineName: pulumi.Output<string> | undefined;
  releasePipelineUrl: pulumi.Output<string> | undefined;
  releaseTopicArn: pulumi.Output<string> | undefined;
  /** The boundary the deploy role requires; another stack it deploys sets it as roleBoundaryArn. */
  releaseRoleBoundaryArn: pulumi.Output<string> | undefined;
}

export function deployStack(settings: Settings, stack = pulumi.getStack()): StackOutputs {
  const prefix = resourcePrefix(stack);
  // before any role: each is created with the boundary, which must exist
  const boundary =
    settings.releasePipeline &&
    new RoleBoundary(`${prefix}-role-boundary`, {
      settings,
      release: settings.releasePipeline,
      stack,
    });
  const permissionsBoundary = stackBoundary(settings.roleBoundaryArn, boundary);

  const image = new FunctionImage(`${prefix}-image`, {
    pins: settings,
    keepImages: settings.ecrKeepImages,
    root: PROJECT_ROOT,
  });
  const logs = new FunctionLogs(`${prefix}-function`, {
    retentionInDays: settings.logRetentionDays,
  });
  const pipeline = new Pipeline(prefix, {
    settings,
    imageUri: image.imageUri,
    logGroupName: logs.logGroup.name,
    logGroupArn: logs.logGroup.arn,
    permissionsBoundary,
  });
  new Alarms(`${prefix}-alarms`, {
    functionName: pipeline.function.name,
    queueName: pipeline.queue.queue.name,
    deadLetterQueueName: pipeline.queue.deadLetterQueue.name,
    queueAgeSeconds: settings.queueAgeAlarmSeconds,
    email: settings.alarmEmail,
  });

  const { accountId } = aws.getCallerIdentityOutput({});
  const { region } = aws.getRegionOutput({});
  const batchOperations = new BatchOperationsRole(`${prefix}-batch-operations`, {
    access: pulumi
      .all([pipeline.function.arn, pipeline.resultsBucket.arn, accountId])
      .apply(([functionArn, resultsBucketArn, account]) => ({
        functionArn,
        resultsBucketArn,
        resultsPrefix: settings.resultsPrefix,
        accountId: account,
      })),
    permissionsBoundary,
  });
  const dashboard = new Dashboard(prefix, {
    region,
    namespace: settings.metricsNamespace,
    functionName: pipeline.function.name,
    queueName: pipeline.queue.queue.name,
    deadLetterQueueName: pipeline.queue.deadLetterQueue.name,
  });
  const metadata = enablesS3Metadata(settings)
    ? new MetadataTables(`${prefix}-metadata`, {
        bucketName: pipeline.uploadBucket.name,
        bucketArn: pipeline.uploadBucket.arn,
        region,
        accountId,
        inventory: settings.s3MetadataInventory,
        journalDays: settings.s3MetadataJournalDays,
        permissionsBoundary,
      })
    : undefined;
  const queries =
    metadata &&
    new AnnotationQueries(`${prefix}-annotations`, {
      resultsBucketName: pipeline.resultsBucket.name,
      resultsPrefix: settings.resultsPrefix,
      namespace: metadata.namespace,
      annotationName: settings.annotationName,
      bytesScannedCutoff: settings.athenaBytesScannedCutoff,
    });
  const release =
    settings.releasePipeline &&
    boundary &&
    new ReleasePipeline(`${prefix}-release`, {
      settings,
      release: settings.releasePipeline,
      stack,
      repository: image.repository,
      boundary,
      permissionsBoundary,
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
    accountId,
    region,
    batchOperationsRoleArn: batchOperations.arn,
    filterPrefix: settings.filterPrefix,
    filterSuffix: settings.filterSuffix,
    exiftoolVersion: exiftoolRelease(settings.exiftoolVersion),
    exiftoolOptions: settings.exiftoolOptions,
    extractionLimits: stackExtractionLimits(settings),
    dashboardName: dashboard.dashboard.dashboardName,
    dashboardUrl: dashboard.url,
    resultDestination: settings.resultDestination,
    annotationName: settings.annotationName,
    athenaWorkgroup: queries ? queries.workgroup.name : undefined,
    athenaCatalog: queries ? METADATA_CATALOG : undefined,
    athenaDatabase: metadata ? metadata.namespace : undefined,
    annotationTable: queries ? ANNOTATION_TABLE : undefined,
    athenaNamedQueries: queries ? queries.queryIds : undefined,
    releasePipelineName: release ? release.pipeline.name : undefined,
    releasePipelineUrl: release ? release.consoleUrl : undefined,
    releaseTopicArn: release ? release.topic.arn : undefined,
    releaseRoleBoundaryArn: boundary ? boundary.policy.arn : undefined,
  };
}
