// Shared by the operations commands' tests: their lines collected, and
// objects put into the local pipeline's bucket without a notification.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { CliIo } from "../../commands/ops/run-cli";
import type { Pipeline } from "../../local/pipeline";

/** Every line a command prints (answers, progress and errors) into `printed`, in order. */
export function collect(printed: string[]): CliIo {
  return {
    print: (line) => printed.push(line),
    progress: { write: (text) => printed.push(text.trimEnd()) },
    error: (line) => printed.push(line),
  };
}

/** Puts each file under `folder/` straight into the emulator: no notification, only a backfill extracts them. */
export async function putUnnotified(
  pipeline: Pipeline,
  folder: string,
  files: string[],
): Promise<string[]> {
  const keys = files.map((file) => `${folder}/${path.basename(file)}`);
  for (const [i, file] of files.entries()) {
    await pipeline.direct.send(
      new PutObjectCommand({
        Bucket: pipeline.topology.uploadBucket,
        Key: keys[i],
        Body: readFileSync(file),
      }),
    );
  }
  return keys;
}
