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
import { runCommand, runFromTerminal, UsageError } from "./command";

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

const SPEC = {
  name: "npm run extract",
  usage: USAGE,
  options: { stats: { type: "boolean" } },
  positionals: true,
  passThrough: true,
  unknownHint: "ExifTool options go after --",
} as const;

function parseUri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match) throw new UsageError(`not an s3://BUCKET/KEY URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}

export function runExtract(argv: string[], io: CliIo): Promise<number> {
  const text = { out: (t: string) => io.stdout.write(t), err: (t: string) => io.stderr.write(t) };
  return runCommand(SPEC, argv, text, ({ values, positionals, rest }) => {
    if (positionals.length === 0) throw new UsageError("name at least one s3://BUCKET/KEY");
    return extract(positionals.map(parseUri), values.stats === true, rest, io);
  });
}

async function extract(
  refs: { bucket: string; key: string }[],
  stats: boolean,
  exiftoolOptions: string[],
  io: CliIo,
): Promise<number> {
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
    if (error instanceof OptionError) throw new UsageError(error.message);
    throw error;
  }
  try {
    // each extraction's deadline counts from its start: start no more than the workers can take
    const limit = concurrencyLimit(2 * workers);
    const results = await Promise.all(
      refs.map((ref) =>
        limit(async () => {
          const { bucket, key } = ref;
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
  runFromTerminal((argv) =>
    runExtract(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env }),
  );
}
