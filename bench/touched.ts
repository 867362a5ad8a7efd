// The lower bound: the bytes ExifTool itself touches in the local file, read
// through the same worker the engine uses.
import { basename, dirname } from "node:path";
import { ExifToolWorker } from "../function/exiftool/exiftool-worker";
import { TouchRecordingSource } from "./touch-recording-source";

export class TouchMeter {
  private constructor(private readonly worker: ExifToolWorker) {}

  static async start(): Promise<TouchMeter> {
    return new TouchMeter(await ExifToolWorker.start());
  }

  async measure(path: string, args: readonly string[] = []): Promise<number> {
    const source = new TouchRecordingSource(path);
    try {
      await this.worker.extract({
        source,
        directory: dirname(path),
        fileName: basename(path),
        args,
        timeoutMs: 600_000,
      });
      return source.touched.total;
    } finally {
      await source.close();
    }
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
