// `npm run extract -- s3://BUCKET/KEY [...] [--stats] [-- EXIFTOOL_OPTIONS]`
// Prints one JSON array like `exiftool -json`, one object per argument in
// order; an object that fails appears with an Error tag and the exit code is 1.
// Credentials and region come from the SDK's default chain; AWS_ENDPOINT_URL_S3
// (or AWS_ENDPOINT_URL) points it at any S3-compatible server.
import { ExifToolJson } from "../function/exiftool/exiftool-json";
import { availableParallelism } from "node:os";
import type { Writable } from "node:stream";
import { concurrencyLimit } from "../function/concurrency-limit";
import { OptionError } from "../function/exiftool/options";
import { Extractor } from "../function/extractor";
import { createS3Client } from "../function/ranges/s3-client";

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

const USAGE = `usage: npm run extract -- s3://BUCKET/KEY [more ...] [--stats] [-- EXIFTOOL_OPTIONS]
  Prints one JSON array like \`exiftool -json\`, one object per argument, in order;
  an object that fails appears with an Error tag, and the exit code is 1.
  --stats            one JSON line per object on stderr: key, objectSize, bytesRead, requests, ms
  EXIFTOOL_OPTIONS   reading and formatting options (-G1, -n, -a, ...); the rest are refused
  Credentials and region come from the AWS SDK's default chain; AWS_ENDPOINT_URL_S3
  (or AWS_ENDPOINT_URL) points it at another S3-compatible server.`;

function parseUri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { bucket: match[1], key: match[2] } : undefined;
}

export async function runExtract(argv: string[], io: CliIo): Promise<number> {
  const split = argv.indexOf("--");
  const own = split < 0 ? argv : argv.slice(0, split);
  const exiftoolOptions = split < 0 ? [] : argv.slice(split + 1);
  if (own.includes("--help") || own.includes("-h")) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const stats = own.includes("--stats");
  const unknown = own.filter((arg) => arg.startsWith("-") && arg !== "--stats");
  const uris = own.filter((arg) => !arg.startsWith("-"));
  const refs = uris.map(parseUri);
  const bad = uris.filter((_, i) => !refs[i]);
  if (uris.length === 0 || bad.length > 0 || unknown.length > 0) {
    const problems = [
      ...unknown.map((arg) => `unknown option ${arg} (ExifTool options go after --)`),
      ...(bad.length ? [`not an s3://BUCKET/KEY URI: ${bad.join(", ")}`] : []),
    ];
    io.stderr.write(problems.map((problem) => `${problem}\n`).join("") + `${USAGE}\n`);
    return 2;
  }

  let extractor: Extractor;
  let workers: number;
  try {
    workers = Math.min(refs.length, Math.max(2, availableParallelism()));
    extractor = new Extractor({
      s3: createS3Client({}, io.env),
      workers,
      exiftoolOptions,
      env: io.env,
    });
  } catch (error) {
    if (!(error instanceof OptionError)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 2;
  }
  try {
    // each extraction's deadline counts from its start: start no more than the workers can take
    const limit = concurrencyLimit(2 * workers);
    const results = await Promise.all(
      refs.map((ref) =>
        limit(async () => {
          const { bucket, key } = ref!;
          const started = Date.now();
          try {
            const extraction = await extractor.extract({ bucket, key });
            if (stats) {
              const { bytesRead, requests } = extraction.stats;
              const line = {
                key,
                objectSize: extraction.object.size,
                bytesRead,
                requests,
                ms: Date.now() - started,
              };
              io.stderr.write(`${JSON.stringify(line)}\n`);
            }
            return { ok: true, json: extraction.json };
          } catch (error) {
            // laid out as exiftool prints an object, so the array reads as one
            const failed = { SourceFile: `s3://${bucket}/${key}`, Error: (error as Error).message };
            return { ok: false, json: new ExifToolJson(JSON.stringify(failed, null, 2)) };
          }
        }),
      ),
    );
    // exiftool's own text for each object, in exiftool's own array layout
    io.stdout.write(ExifToolJson.joinArray(results.map((result) => result.json)));
    return results.every((result) => result.ok) ? 0 : 1;
  } finally {
    await extractor.close();
  }
}

if (require.main === module) {
  // The pinned SDK runs on Node 20; its notice about later releases would precede every answer.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runExtract(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
