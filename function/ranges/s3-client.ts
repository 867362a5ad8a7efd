// One S3 client setup for the function, the CLI and the local pipeline: the
// SDK's default credential and region chain, its standard retry for
// throttling and 5xx, and path-style addressing whenever the endpoint is
// overridden, so any S3-compatible server works.
import { S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

export function endpointOverride(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

export function createS3Client(
  config: S3ClientConfig = {},
  env: NodeJS.ProcessEnv = process.env,
): S3Client {
  const endpoint = config.endpoint ?? endpointOverride(env);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return new S3Client({
    maxAttempts: 4,
    retryMode: "standard",
    ...(region ? { region } : {}),
    ...config,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
  });
}
