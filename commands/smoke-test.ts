// `npm run smoke-test -- --stack NAME --upload-bucket BUCKET --results-location s3://B/P
// [--timeout-seconds 300]`: the deploy stage's check that the deployed stack
// extracts a file end to end (scripts/release/smoke.ts). AWS credentials and
// region come from the SDK's default chain.
import { S3Client } from "@aws-sdk/client-s3";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { writtenAnnotation } from "../function/config";
import { functionEnvironment } from "../function/environment";
import { stackFunctionSettings } from "../infra/function-settings";
import { stackSettings } from "../infra/stack-file";
import { parseResultsLocation, smokeTest } from "../scripts/release/smoke";

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string", default: "dev" },
      "upload-bucket": { type: "string" },
      "results-location": { type: "string" },
      "timeout-seconds": { type: "string", default: "300" },
    },
    strict: true,
  });
  const uploadBucket = values["upload-bucket"];
  const location = values["results-location"];
  const timeout = Number(values["timeout-seconds"]);
  if (!uploadBucket || !location || !Number.isInteger(timeout) || timeout <= 0) {
    throw new Error(
      "usage: npm run smoke-test -- --stack NAME --upload-bucket BUCKET --results-location s3://BUCKET/PREFIX [--timeout-seconds N]",
    );
  }
  const settings = stackSettings(path.join(__dirname, ".."), values.stack!);
  const results = parseResultsLocation(location);
  // the function's own environment says whether it writes annotations
  const env = functionEnvironment(
    stackFunctionSettings(settings, { uploadBucket, resultsBucket: results.bucket }),
  );
  await smokeTest({
    s3: new S3Client({}),
    target: {
      uploadBucket,
      resultsBucket: results.bucket,
      resultsPrefix: results.prefix,
      filterPrefix: settings.filterPrefix,
      filterSuffix: settings.filterSuffix,
      annotationName: writtenAnnotation(env.RESULT_DESTINATION, env.ANNOTATION_NAME),
    },
    timeoutMs: timeout * 1000,
    log: (line) => console.log(`smoke-test: ${line}`),
  });
  console.log("smoke-test: passed");
}

main().catch((error: unknown) => {
  console.error(`smoke-test failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
