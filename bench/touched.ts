// The lower bound: the bytes ExifTool itself touches in the local file, read
// through the same worker the engine uses.
import { basename, dirname } from "node:path";
import { ExifToolWorker } from "../function/exiftool/exiftool-worker";
import { TouchRecordingSource } from "./touch-recording-source";

export class TouchMeter {
  private constructor(private readonly worker: ExifToolWorker) {}

  static async start(): Promise<TouchMeter> {
    // The worker serves ExifTool's reads from aligned windows, which would
    // measure the windows; with them off, each request is one read of ExifTool's.
    const env = { ...process.env, S3_EXIFTOOL_READ_CHUNK: "0" };
    return new TouchMeter(await ExifToolWorker.start({ env }));
  }

  async measure(path: string, args: readonly string[] = []): Promise<number> {
    return (await this.record(path, args)).total;
  }

  /** The touched ranges themselves, [start, end), in file order. */
  async ranges(path: string): Promise<[number, number][]> {
    return (await this.record(path, [])).list.map(([start, end]) => [start, end]);
  }

  private async record(path: string, args: readonly string[]) {
    const source = new TouchRecordingSource(path);
    try {
      await this.worker.extract({
        source,
        directory: dirname(path),
        fileName: basename(path),
        args,
        timeoutMs: 600_000,
      });
      return source.touched;
    } finally {
      await source.close();
    }
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}
