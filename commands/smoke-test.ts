// `npm run smoke-test -- --stack NAME --upload-bucket BUCKET --results-location s3://B/P
// [--timeout-seconds 300]`: the deploy stage's check that the deployed stack
// extracts a file end to end (scripts/release/smoke.ts). AWS credentials and
// region come from the SDK's default chain.
import { S3Client } from "@aws-sdk/client-s3";
import * as path from "node:path";
import { writtenAnnotation } from "../function/config";
import { functionEnvironment } from "../function/environment";
import { stackFunctionSettings } from "../infra/function-settings";
import { stackSettings } from "../infra/stack-file";
import { parseResultsLocation, smokeTest } from "../scripts/release/smoke";
import {
  integerOption,
  runCommand,
  runFromTerminal,
  terminal,
  UsageError,
  type CommandIo,
} from "./command";

const SPEC = {
  name: "npm run smoke-test",
  usage:
    "usage: npm run smoke-test -- --stack NAME --upload-bucket BUCKET --results-location s3://BUCKET/PREFIX [--timeout-seconds N]",
  options: {
    stack: { type: "string", default: "dev" },
    "upload-bucket": { type: "string" },
    "results-location": { type: "string" },
    "timeout-seconds": { type: "string" },
  },
} as const;

export function runSmokeTest(argv: string[], io: CommandIo = terminal): Promise<number> {
  return runCommand(SPEC, argv, io, async ({ values }) => {
    const uploadBucket = values["upload-bucket"];
    const location = values["results-location"];
    if (!uploadBucket) throw new UsageError("--upload-bucket is required");
    if (!location) throw new UsageError("--results-location is required");
    const timeout = integerOption(values["timeout-seconds"], "timeout-seconds", 1, 86_400, 300);
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
      log: (line) => io.out(`smoke-test: ${line}\n`),
    });
    io.out("smoke-test: passed\n");
    return 0;
  });
}

if (require.main === module) runFromTerminal((argv) => runSmokeTest(argv));
