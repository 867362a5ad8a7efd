// The handler as the tests run it: its SDK clients pointed at the local S3,
// reading the `uploads` bucket and writing to `results`, plus any variables a
// test sets.
import { createHandler, type HandlerRuntime } from "../../function/handler";
import { TEST_CREDENTIALS, type LocalS3 } from "./local-s3";

export function localHandler(local: LocalS3, env: NodeJS.ProcessEnv = {}): HandlerRuntime {
  // the SDK's default chain reads these from this process
  process.env.AWS_ACCESS_KEY_ID ??= TEST_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= TEST_CREDENTIALS.secretAccessKey;
  return createHandler({
    ...process.env,
    AWS_ENDPOINT_URL_S3: local.proxy.endpoint,
    AWS_REGION: "us-east-1",
    UPLOAD_BUCKETS: "uploads",
    RESULTS_BUCKET: "results",
    POWERTOOLS_SERVICE_NAME: "s3-exiftool-test",
    ...env,
  });
}
