// A ByteSource over bytes in memory, for tests that drive a worker without S3.
import type { ByteSource } from "../../function/ranges/byte-source";

/** A source serving `bytes` from memory; `onRead` runs before each read is answered. */
export function bytesSource(bytes: Buffer, onRead: () => unknown = () => undefined): ByteSource {
  return {
    stats: { bytesRead: 0, requests: 0 },
    open: async () => ({ size: bytes.length, lastModified: new Date() }),
    read: async (offset, length) => {
      await onRead();
      return bytes.subarray(offset, offset + length);
    },
  };
}
