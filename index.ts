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
// Undefined unless the release pipeline is configured.
export const releasePipelineName = outputs.releasePipelineName;
export const releasePipelineUrl = outputs.releasePipelineUrl;
export const releaseTopicArn = outputs.releaseTopicArn;
