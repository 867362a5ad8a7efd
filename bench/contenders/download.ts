// (c) The simplest design: download the whole object to a temporary file,
// then run `exiftool -json FILE` on it.
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { jsonEntries, spawnExiftool } from "../exiftool-process";
import type { Contender } from "./contender";

export function downloadContender(s3: S3Client): Contender {
  return {
    name: "download",
    options: [],
    async run({ bucket, key }) {
      const started = performance.now();
      const directory = await mkdtemp(join(tmpdir(), "bench-download-"));
      try {
        // the object's own name, so FileName and the type guessed from it match
        const file = join(directory, key.split("/").pop()!);
        const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        let bytesRead = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            bytesRead += chunk.length;
            callback(null, chunk);
          },
        });
        await pipeline(response.Body as Readable, counter, createWriteStream(file));
        const result = await spawnExiftool(["-json", file]).done;
        return {
          metadata: jsonEntries(result.stdout)[0] ?? {},
          bytesRead,
          requests: 1,
          wallMs: performance.now() - started,
          peakRssBytes: result.peakRssBytes,
        };
      } finally {
        await rm(directory, { recursive: true, force: true });
      }
    },
  };
}
