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
  /** Cap of the block cache, hence of the memory one object can use. */
  cacheBytes: number;
  /** Largest read-ahead granted to a run of sequential reads. */
  maxReadAheadBytes: number;
}

// Small blocks keep the bytes read close to what ExifTool touches (a few KiB
// for most files, see bench/); sequential reads still grow their fetches
// quickly through the read-ahead, so long headers cost few round trips.
export const DEFAULT_RANGE_READ_OPTIONS: RangeReadOptions = {
  blockSize: 16 * 1024,
  firstReadBytes: 32 * 1024,
  cacheBytes: 16 * 1024 * 1024,
  maxReadAheadBytes: 4 * 1024 * 1024,
};

export interface S3ObjectRef {
  bucket: string;
  key: string;
  /** Read this version rather than the current one (S3 Batch Operations tasks name one). */
  versionId?: string;
}

export class S3RangeSource implements ByteSource {
  readonly stats: ReadStats = { bytesRead: 0, requests: 0 };
  private readonly options: RangeReadOptions;
  private readonly cache: BlockCache;
  private info?: Promise<ObjectInfo>;
  private pinnedETag?: string;
  private sequentialEnd = -1;
  private readAhead = 0;

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

  /** Sequential reads earn a doubling read-ahead; a seek elsewhere resets it. */
  private nextReadAhead(offset: number, end: number): number {
    const { blockSize, maxReadAheadBytes } = this.options;
    this.readAhead =
      offset === this.sequentialEnd
        ? Math.min(Math.max(this.readAhead * 2, blockSize), maxReadAheadBytes)
        : 0;
    this.sequentialEnd = end;
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
    const { firstReadBytes, blockSize } = this.options;
    const wanted = Math.max(blockSize, Math.ceil(firstReadBytes / blockSize) * blockSize);
    try {
      const response = await this.send(0, wanted - 1);
      const body = Buffer.from(await response.Body!.transformToByteArray());
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
    const { storageClass: _, ...info } = await headObject(this.client, this.object, this.signal);
    this.pinnedETag = info.eTag;
    return info;
  }

  private async get(start: number, end: number): Promise<Buffer> {
    try {
      const response = await this.send(start, end);
      const body = Buffer.from(await response.Body!.transformToByteArray());
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

  private count(bytes: number): void {
    this.stats.bytesRead += bytes;
  }
}

function parseTotal(contentRange: string | undefined): number | undefined {
  const match = contentRange && /\/(\d+)$/.exec(contentRange);
  return match ? Number(match[1]) : undefined;
}

function isInvalidRange(error: unknown): boolean {
  const shape = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return shape?.name === "InvalidRange" || shape?.$metadata?.httpStatusCode === 416;
}
