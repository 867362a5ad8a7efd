// Reads one S3 object through ranged GetObject requests, fetching only the
// blocks ExifTool asks for. The first request doubles as the HEAD: its
// Content-Range gives the size and its ETag pins every later range, so an
// object replaced mid-read fails with PreconditionFailed instead of mixing
// two versions.
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { BlockCache } from "./block-cache";
import type { ByteSource, ObjectInfo, ReadStats } from "./byte-source";
import { headObject } from "./object-head";
import { classifyS3Error } from "./s3-errors";

export interface RangeReadOptions {
  /** Unit of fetching and caching. */
  blockSize: number;
  /** Size of the first request: enough for the headers of most formats. */
  firstReadBytes: number;
  /**
   * An object announced (by its S3 event) at this size or less is read whole
   * by the first request: ExifTool reads a photo's head and then its last
   * bytes (the trailer check), so nothing less than the whole saves the
   * second round trip.
   */
  wholeObjectBytes: number;
  /** Cap of the block cache, hence of the memory one object can use. */
  cacheBytes: number;
  /** Largest read-ahead granted to a run of sequential reads. */
  maxReadAheadBytes: number;
}

// Small blocks keep the bytes read close to what ExifTool touches (a few KiB
// for most files, see bench/); sequential reads still grow their fetches
// quickly through the read-ahead, so long headers cost few round trips.
// Objects up to 3 MiB (9 in 10 camera photos, see bench/README.md) cost one
// GET: a round trip costs more than their remaining bytes.
export const DEFAULT_RANGE_READ_OPTIONS: RangeReadOptions = {
  blockSize: 16 * 1024,
  firstReadBytes: 32 * 1024,
  wholeObjectBytes: 3 * 1024 * 1024,
  cacheBytes: 16 * 1024 * 1024,
  maxReadAheadBytes: 4 * 1024 * 1024,
};

export interface S3ObjectRef {
  bucket: string;
  key: string;
  /** Read this version rather than the current one (S3 Batch Operations tasks name one). */
  versionId?: string;
  /** The size the object's event announced, if any: it sizes the first request. */
  announcedSize?: number;
}

export class S3RangeSource implements ByteSource {
  readonly stats: ReadStats = { bytesRead: 0, requests: 0 };
  private readonly options: RangeReadOptions;
  private readonly cache: BlockCache;
  private info?: Promise<ObjectInfo>;
  private pinnedETag?: string;
  private sequentialEnd = -1;
  private readAhead = 0;
  private waitedMs = 0;
  private inFlight = 0;
  private busySince = 0;

  constructor(
    private readonly client: S3Client,
    private readonly object: S3ObjectRef,
    options: Partial<RangeReadOptions> = {},
    private readonly signal?: AbortSignal,
  ) {
    this.options = { ...DEFAULT_RANGE_READ_OPTIONS, ...options };
    this.cache = new BlockCache(this.options.cacheBytes);
  }

  get uri(): string {
    return `s3://${this.object.bucket}/${this.object.key}`;
  }

  open(): Promise<ObjectInfo> {
    this.info ??= this.fetchFirst();
    return this.info;
  }

  /** Milliseconds so far with at least one request to S3 in flight. */
  networkMs(): number {
    return this.waitedMs + (this.inFlight ? performance.now() - this.busySince : 0);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const { size } = await this.open();
    const end = Math.min(offset + length, size);
    if (offset >= end) return Buffer.alloc(0);
    const { blockSize } = this.options;
    const first = Math.floor(offset / blockSize);
    const last = Math.floor((end - 1) / blockSize);

    const ahead = this.nextReadAhead(offset, end);
    const fetchLast = Math.min(
      Math.floor((Math.min(end + ahead, size) - 1) / blockSize),
      // never fetch more than the cache can hold next to what is needed now
      last + Math.floor(this.options.cacheBytes / 2 / blockSize),
    );
    // what this read needs is held here, not only in the cache: a read longer
    // than the cache would otherwise evict its own blocks before using them
    const blocks = new Map<number, Buffer>();
    for (let index = first; index <= last; index++) {
      const cached = this.cache.get(index);
      if (cached) blocks.set(index, cached);
    }
    await Promise.all(
      this.missingRuns(first, last, fetchLast).map(async ([a, b]) => {
        for (const [index, block] of await this.fetchBlocks(a, b)) blocks.set(index, block);
      }),
    );

    const parts: Buffer[] = [];
    for (let index = first; index <= last; index++) {
      const block = blocks.get(index) ?? Buffer.alloc(0);
      const blockStart = index * blockSize;
      parts.push(
        block.subarray(Math.max(offset - blockStart, 0), Math.min(end - blockStart, block.length)),
      );
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * Sequential reads earn a doubling read-ahead; a seek elsewhere resets it.
   * A read counts as sequential when it starts at most one block before
   * where the last one ended: worker.pl serves ExifTool from block-aligned
   * windows and, when a read crosses a window's end, asks again from the
   * start of the block it was in, so a long run of ExifTool's reads reaches
   * Node as reads that each overlap the previous one by up to a block.
   */
  private nextReadAhead(offset: number, end: number): number {
    const { blockSize, maxReadAheadBytes } = this.options;
    const sequential = offset <= this.sequentialEnd && offset >= this.sequentialEnd - blockSize;
    this.readAhead = sequential
      ? Math.min(Math.max(this.readAhead * 2, blockSize), maxReadAheadBytes)
      : 0;
    this.sequentialEnd = sequential ? Math.max(end, this.sequentialEnd) : end;
    return this.readAhead;
  }

  /** Runs of uncached blocks: all of first..last, then more up to fetchLast while uncached. */
  private missingRuns(first: number, last: number, fetchLast: number): [number, number][] {
    const runs: [number, number][] = [];
    let index = first;
    while (index <= last) {
      if (this.cache.has(index)) {
        index++;
        continue;
      }
      const start = index;
      while (index <= last && !this.cache.has(index)) index++;
      if (index > last) {
        while (index <= fetchLast && !this.cache.has(index)) index++;
      }
      runs.push([start, index - 1]);
    }
    return runs;
  }

  private async fetchBlocks(first: number, last: number): Promise<[number, Buffer][]> {
    const { blockSize } = this.options;
    const start = first * blockSize;
    const body = await this.get(start, (last + 1) * blockSize - 1);
    const blocks: [number, Buffer][] = [];
    for (let index = first, at = 0; index <= last && at < body.length; index++, at += blockSize) {
      const block = body.subarray(at, Math.min(at + blockSize, body.length));
      this.cache.set(index, block);
      blocks.push([index, block]);
    }
    return blocks;
  }

  private async fetchFirst(): Promise<ObjectInfo> {
    const { firstReadBytes, wholeObjectBytes, blockSize } = this.options;
    const announced = this.object.announcedSize;
    // an announced size can be stale (the object replaced since): the answer's Content-Range decides
    const whole = announced !== undefined && announced <= wholeObjectBytes ? announced : 0;
    const wanted = Math.ceil(Math.max(blockSize, firstReadBytes, whole) / blockSize) * blockSize;
    try {
      const { response, body } = await this.timed(async () => {
        const response = await this.send(0, wanted - 1);
        return { response, body: asBuffer(await response.Body!.transformToByteArray()) };
      });
      this.count(body.length);
      const size = parseTotal(response.ContentRange) ?? response.ContentLength ?? body.length;
      this.pinnedETag = response.ETag;
      for (let index = 0, at = 0; at < body.length; index++, at += blockSize) {
        this.cache.set(index, body.subarray(at, Math.min(at + blockSize, body.length)));
      }
      return {
        size,
        lastModified: response.LastModified ?? new Date(0),
        eTag: response.ETag,
        versionId: response.VersionId,
      };
    } catch (error) {
      if (!isInvalidRange(error)) throw classifyS3Error(error, this.uri);
      // S3 refuses any range of an empty object; HEAD tells it apart from a real fault
      return this.head();
    }
  }

  private async head(): Promise<ObjectInfo> {
    this.stats.requests++;
    const { storageClass: _, ...info } = await this.timed(() =>
      headObject(this.client, this.object, this.signal),
    );
    this.pinnedETag = info.eTag;
    return info;
  }

  private async get(start: number, end: number): Promise<Buffer> {
    try {
      const body = await this.timed(async () => {
        const response = await this.send(start, end);
        return asBuffer(await response.Body!.transformToByteArray());
      });
      this.count(body.length);
      return body;
    } catch (error) {
      throw classifyS3Error(error, this.uri);
    }
  }

  private send(start: number, end: number) {
    this.stats.requests++;
    return this.client.send(
      new GetObjectCommand({
        Bucket: this.object.bucket,
        Key: this.object.key,
        VersionId: this.object.versionId,
        Range: `bytes=${start}-${end}`,
        IfMatch: this.pinnedETag,
      }),
      { abortSignal: this.signal },
    );
  }

  /** Runs one request, adding its time to networkMs() where no other request overlaps it. */
  private async timed<T>(request: () => Promise<T>): Promise<T> {
    if (this.inFlight++ === 0) this.busySince = performance.now();
    try {
      return await request();
    } finally {
      if (--this.inFlight === 0) this.waitedMs += performance.now() - this.busySince;
    }
  }

  private count(bytes: number): void {
    this.stats.bytesRead += bytes;
  }
}

/** The body's bytes as a Buffer over the same memory: a copy of a whole photo per read costs Node CPU and GC. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function parseTotal(contentRange: string | undefined): number | undefined {
  const match = contentRange && /\/(\d+)$/.exec(contentRange);
  return match ? Number(match[1]) : undefined;
}

function isInvalidRange(error: unknown): boolean {
  const shape = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return shape?.name === "InvalidRange" || shape?.$metadata?.httpStatusCode === 416;
}
