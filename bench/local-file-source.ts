// A ByteSource over a local file: what the ceiling contender and the touch
// meter feed the engine's own worker in place of S3.
import { open, type FileHandle } from "node:fs/promises";
import type { ByteSource, ObjectInfo, ReadStats } from "../function/ranges/byte-source";

export class LocalFileSource implements ByteSource {
  readonly stats: ReadStats = { bytesRead: 0, requests: 0 };
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
