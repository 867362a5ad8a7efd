// (b) The baseline design: the object streamed from byte 0 in sequential
// 8 MB range requests into a new `exiftool -json -fast -`, until exiftool
// exits (it stops reading once it has what it needs, or reads to the end).
import { once } from "node:events";
import type { Readable } from "node:stream";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { jsonEntries, spawnExiftool } from "../exiftool-process";
import type { Contender } from "./contender";

export const STREAM_CHUNK_BYTES = 8 * 1024 * 1024;
const OPTIONS = ["-fast"];

export function streamContender(s3: S3Client): Contender {
  return {
    name: "stream",
    options: OPTIONS,
    async run({ bucket, key }) {
      const started = performance.now();
      const { child, done } = spawnExiftool(["-json", ...OPTIONS, "-"]);
      const abort = new AbortController();
      let exited = false;
      const exit = once(child, "exit").then(() => {
        exited = true;
        abort.abort();
      });
      let bytesRead = 0;
      let requests = 0;
      let size = Infinity;
      try {
        for (let offset = 0; offset < size && !exited; offset += STREAM_CHUNK_BYTES) {
          requests++;
          const response = await s3.send(
            new GetObjectCommand({
              Bucket: bucket,
              Key: key,
              Range: `bytes=${offset}-${offset + STREAM_CHUNK_BYTES - 1}`,
            }),
            { abortSignal: abort.signal },
          );
          size = Number(/\/(\d+)$/.exec(response.ContentRange ?? "")?.[1] ?? 0);
          for await (const chunk of response.Body as Readable) {
            bytesRead += (chunk as Buffer).length;
            if (!child.stdin.write(chunk)) {
              // a write into a pipe exiftool has closed fails with EPIPE: the exit tells
              const drained = once(child.stdin, "drain").catch(() => exit);
              await Promise.race([drained, exit]);
            }
            if (exited) break;
          }
        }
      } catch (error) {
        // an aborted read or a broken pipe once exiftool exits is how this design ends early
        if (isBrokenPipe(error)) await exit;
        if (!exited && !isInvalidRange(error)) throw error;
      }
      child.stdin.end();
      const result = await done;
      return {
        metadata: jsonEntries(result.stdout)[0] ?? {},
        bytesRead,
        requests,
        wallMs: performance.now() - started,
        peakRssBytes: result.peakRssBytes,
      };
    },
  };
}

/** An empty object has no byte 0: S3 answers 416, and exiftool gets an empty stdin. */
function isInvalidRange(error: unknown): boolean {
  const shape = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return shape?.name === "InvalidRange" || shape?.$metadata?.httpStatusCode === 416;
}

function isBrokenPipe(error: unknown): boolean {
  return (error as NodeJS.ErrnoException)?.code === "EPIPE";
}
