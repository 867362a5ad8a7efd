// (a) This project's engine: a warm ExifTool worker reading the object
// through byte-range requests.
import type { S3Client } from "@aws-sdk/client-s3";
import { Extractor } from "../../function/extractor";
import type { RangeReadOptions } from "../../function/ranges/s3-range-source";
import { highWaterMarkBytes } from "../process-memory";
import type { Contender } from "./contender";

export function engineContender(s3: S3Client, range: Partial<RangeReadOptions> = {}): Contender {
  return {
    name: "engine",
    options: [],
    async run(ref) {
      // A fresh worker per object, started and warmed before the clock starts:
      // its VmHWM is then the peak of this object alone (plus start-up), which
      // a worker warmed on a larger object would hide.
      const extractor = new Extractor({ s3, workers: 1, range });
      try {
        await extractor.exiftoolVersion();
        const pid = await extractor.pool.run(async (worker) => worker.pid);
        const started = performance.now();
        const { metadata, stats } = await extractor.extract(ref, 600_000);
        const wallMs = performance.now() - started;
        return {
          metadata,
          bytesRead: stats.bytesRead,
          requests: stats.requests,
          wallMs,
          peakRssBytes: highWaterMarkBytes(pid) ?? 0,
        };
      } finally {
        await extractor.close();
      }
    },
  };
}
