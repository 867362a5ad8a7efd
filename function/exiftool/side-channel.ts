// Frames of the side channel between Node and the Perl worker (fd 3 and 4):
// a 1-byte ASCII type, a big-endian u32 payload length, then the payload.
// ARCHITECTURE.md lists the frame types.

export interface Frame {
  type: string;
  payload: Buffer;
}

const HEADER_BYTES = 5;

export function encodeFrame(type: string, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(type, 0, 1, "latin1");
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

/** Reassembles frames from a byte stream that may split them anywhere. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(1);
      if (this.pending.length < HEADER_BYTES + length) break;
      frames.push({
        type: this.pending.toString("latin1", 0, 1),
        payload: this.pending.subarray(HEADER_BYTES, HEADER_BYTES + length),
      });
      this.pending = this.pending.subarray(HEADER_BYTES + length);
    }
    return frames;
  }
}

/** 'R' request payload: u64 offset, u32 length. */
export function decodeReadRequest(payload: Buffer): { offset: number; length: number } {
  return { offset: Number(payload.readBigUInt64BE(0)), length: payload.readUInt32BE(8) };
}

/** 'I' reply payload: u64 size, u64 mtime (Unix s), u32 directory length, directory, name. */
export function encodeObjectInfo(
  size: number,
  mtimeSeconds: number,
  directory: string,
  name: string,
): Buffer {
  const dir = Buffer.from(directory, "utf8");
  const header = Buffer.alloc(20);
  header.writeBigUInt64BE(BigInt(size), 0);
  header.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(mtimeSeconds))), 8);
  header.writeUInt32BE(dir.length, 16);
  return Buffer.concat([header, dir, Buffer.from(name, "utf8")]);
}

/** 'P' (child started: its pid) and 'X' (child ended: its wait status) payloads: u32 command id, u32 value. */
export function decodeChildReport(payload: Buffer): { id: number; value: number } {
  return { id: payload.readUInt32BE(0), value: payload.readUInt32BE(4) };
}

/** 'S' payload: u32 command id, then the token Node echoes back as an 'S' frame. */
export function decodeResync(payload: Buffer): { id: number; token: Buffer } {
  return { id: payload.readUInt32BE(0), token: payload.subarray(4) };
}
