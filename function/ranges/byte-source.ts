// What the ExifTool worker reads an object through: a description of the
// object, then byte ranges of it on demand.

export interface ObjectInfo {
  /** Object size in bytes (S3 Content-Length of the whole object). */
  size: number;
  lastModified: Date;
  eTag?: string;
  versionId?: string;
}

export interface ReadStats {
  /** Bytes received from the store (not bytes handed to ExifTool). */
  bytesRead: number;
  requests: number;
}

export interface ByteSource {
  open(): Promise<ObjectInfo>;
  /** Up to `length` bytes at `offset`; shorter only at the end of the object. */
  read(offset: number, length: number): Promise<Buffer>;
  readonly stats: ReadStats;
}
