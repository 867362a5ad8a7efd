// A ByteSource over a local file that records every range the ExifTool worker
// asks for: run through the same worker as the engine, it measures the bytes
// ExifTool itself touches, the floor no S3 reader can go below.
import { open, type FileHandle } from "node:fs/promises";
import type { ByteSource, ObjectInfo, ReadStats } from "../function/ranges/byte-source";
import { RangeUnion } from "./ranges";

export class TouchRecordingSource implements ByteSource {
  readonly stats: ReadStats = { bytesRead: 0, requests: 0 };
  readonly touched = new RangeUnion();
  private handle?: Promise<FileHandle>;
  private info?: Promise<ObjectInfo>;

  constructor(private readonly path: string) {}

  open(): Promise<ObjectInfo> {
    this.info ??= this.file().then(async (handle) => {
      const stat = await handle.stat();
      return { size: stat.size, lastModified: stat.mtime };
    });
    return this.info;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const { size } = await this.open();
    const wanted = Math.max(0, Math.min(length, size - offset));
    const buffer = Buffer.alloc(wanted);
    const handle = await this.file();
    let got = 0;
    while (got < wanted) {
      const { bytesRead } = await handle.read(buffer, got, wanted - got, offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.stats.requests++;
    this.stats.bytesRead += got;
    this.touched.add(offset, offset + got);
    return buffer.subarray(0, got);
  }

  async close(): Promise<void> {
    if (this.handle) await (await this.handle).close();
    this.handle = undefined;
  }

  private file(): Promise<FileHandle> {
    this.handle ??= open(this.path, "r");
    return this.handle;
  }
}
