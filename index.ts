// Pulumi stack entry: validated config in, components built, outputs exported.
import { deployStack, loadSettings } from "./infra/stack";

const outputs = deployStack(loadSettings());

export const uploadBucketName = outputs.uploadBucketName;
export const resultsBucketName = outputs.resultsBucketName;
export const resultsPrefix = outputs.resultsPrefix;
export const resultsLocation = outputs.resultsLocation;
export const queueUrl = outputs.queueUrl;
export const queueArn = outputs.queueArn;
export const deadLetterQueueUrl = outputs.deadLetterQueueUrl;
export const deadLetterQueueArn = outputs.deadLetterQueueArn;
export const functionName = outputs.functionName;
export const functionArn = outputs.functionArn;
export const imageUri = outputs.imageUri;
export const logGroupName = outputs.logGroupName;
// Undefined unless EventBridge is enabled; Pulumi then omits them.
export const eventBusName = outputs.eventBusName;
export const eventSource = outputs.eventSource;
export const eventDetailType = outputs.eventDetailType;
// For `npm run backfill` and the operators (docs/operations.md).
export const accountId = outputs.accountId;
export const region = outputs.region;
export const batchOperationsRoleArn = outputs.batchOperationsRoleArn;
export const filterPrefix = outputs.filterPrefix;
export const filterSuffix = outputs.filterSuffix;
export const exiftoolVersion = outputs.exiftoolVersion;
export const exiftoolOptions = outputs.exiftoolOptions;
export const extractionLimits = outputs.extractionLimits;
export const dashboardName = outputs.dashboardName;
export const dashboardUrl = outputs.dashboardUrl;
export const resultDestination = outputs.resultDestination;
export const annotationName = outputs.annotationName;
// Undefined unless S3 Metadata is on (docs/athena.md).
export const athenaWorkgroup = outputs.athenaWorkgroup;
export const athenaCatalog = outputs.athenaCatalog;
export const athenaDatabase = outputs.athenaDatabase;
export const annotationTable = outputs.annotationTable;
export const athenaNamedQueries = outputs.athenaNamedQueries;
// Undefined unless the release pipeline is configured.
export const releasePipelineName = outputs.releasePipelineName;
export const releasePipelineUrl = outputs.releasePipelineUrl;
export const releaseTopicArn = outputs.releaseTopicArn;
export const releaseRoleBoundaryArn = outputs.releaseRoleBoundaryArn;
