// Large sample files of known layout, generated deterministically from
// ExifTool's own small samples, for the byte-count tests and the benchmark.
// Each is produced as a stream of chunks, so a 1 GB file never sits in memory.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const CORPUS_DIR = join(__dirname, "..", "..", "shared", "corpus", "exiftool-samples");

export interface SyntheticFile {
  /** File name, with the extension ExifTool expects. */
  name: string;
  size: number;
  /** Where its metadata sits, for reports. */
  layout: string;
  chunks(): Iterable<Buffer>;
}

const CHUNK = 8 * 1024 * 1024;

function corpus(name: string): Buffer {
  return readFileSync(join(CORPUS_DIR, name));
}

/** `count` bytes of filler, in chunks; `unit` repeats (a valid frame, say) or zeros. */
export function* filler(count: number, unit?: Buffer): Iterable<Buffer> {
  const block = unit
    ? Buffer.concat(Array(Math.ceil(CHUNK / unit.length)).fill(unit))
    : Buffer.alloc(CHUNK);
  const step = unit ? block.length - (block.length % unit.length) : CHUNK;
  for (let left = count; left > 0; left -= step) yield block.subarray(0, Math.min(step, left));
}

/** A piece of a generated file: literal bytes, or `filler` bytes of a repeated `unit` (zeros without one). */
export type Part = Buffer | { filler: number; unit?: Buffer };

export function partSize(part: Part): number {
  return Buffer.isBuffer(part) ? part.length : part.filler;
}

export function composeFile(name: string, layout: string, parts: Part[]): SyntheticFile {
  return {
    name,
    size: parts.reduce((sum, part) => sum + partSize(part), 0),
    layout,
    *chunks() {
      for (const part of parts) {
        if (Buffer.isBuffer(part)) yield part;
        else yield* filler(part.filler, part.unit);
      }
    },
  };
}

function atoms(data: Buffer): Map<string, Buffer> {
  const found = new Map<string, Buffer>();
  for (let at = 0; at + 8 <= data.length;) {
    const size = data.readUInt32BE(at);
    if (size < 8) break;
    found.set(data.toString("latin1", at + 4, at + 8), data.subarray(at, at + size));
    at += size;
  }
  return found;
}

function atomHeader(type: string, size: number): Buffer {
  if (size <= 0xffffffff) {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(size);
    header.write(type, 4, "latin1");
    return header;
  }
  // 64-bit "largesize" form
  const header = Buffer.alloc(16);
  header.writeUInt32BE(1);
  header.write(type, 4, "latin1");
  header.writeBigUInt64BE(BigInt(size), 8);
  return header;
}

/** A QuickTime movie with its `moov` after (or before) a large `mdat`, as cameras and encoders write them. */
export function quickTime(totalBytes: number, moovFirst = false): SyntheticFile {
  const source = atoms(corpus("QuickTime.m4a"));
  const ftyp = source.get("ftyp")!;
  const moov = source.get("moov")!;
  const payload = totalBytes - ftyp.length - moov.length - 16;
  const mdat = atomHeader("mdat", payload + 16);
  const header = mdat.length === 8 ? Buffer.concat([mdat, atomHeader("free", 8)]) : mdat;
  const media = [header, { filler: payload }];
  return moovFirst
    ? composeFile("moov-first.m4a", "moov before mdat", [ftyp, moov, ...media])
    : composeFile("moov-last.m4a", "moov after mdat", [ftyp, ...media, moov]);
}

/** A JPEG whose EXIF header is followed by a large scan. */
export function jpeg(totalBytes: number): SyntheticFile {
  const source = corpus("Canon.jpg");
  const head = source.subarray(0, source.length - 2); // up to the EOI marker
  const eoi = Buffer.from([0xff, 0xd9]);
  // scan bytes without 0xFF, so no marker appears inside the image data
  const scan = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  return composeFile("large.jpg", "EXIF at the start", [
    head,
    { filler: totalBytes - head.length - 2, unit: scan },
    eoi,
  ]);
}

/** An MP3 with an ID3v2 header, many MPEG frames and an ID3v1 trailer. */
export function mp3(totalBytes: number): SyntheticFile {
  const source = corpus("MP3.mp3");
  const trailer = source.subarray(source.length - 128); // "TAG" + ID3v1 fields
  const head = source.subarray(0, source.length - 128);
  // MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames
  const frame = Buffer.alloc(417);
  frame.writeUInt32BE(0xfffb9000);
  const frames = Math.floor((totalBytes - head.length - 128) / frame.length);
  const rest = totalBytes - head.length - 128 - frames * frame.length;
  return composeFile("large.mp3", "ID3v2 at the start, ID3v1 at the end", [
    head,
    { filler: frames * frame.length, unit: frame },
    Buffer.alloc(rest),
    trailer,
  ]);
}

/** A baseline TIFF whose only IFD (with Make, Model, Software) follows its pixel data. */
export function tiffIfdLast(totalBytes: number): SyntheticFile {
  const width = 10_000;
  const strings = Buffer.from("SyntheticCam\0Model Z\0s3-exiftool test\0", "latin1");
  const entries: [number, number, number, number][] = []; // tag, type, count, value/offset
  const ifdEntries = 12;
  const ifdSize = 2 + ifdEntries * 12 + 4;
  const height = Math.floor((totalBytes - 8 - ifdSize - strings.length) / width);
  const pixels = width * height;
  const ifdOffset = 8 + pixels;
  const stringsOffset = ifdOffset + ifdSize;
  const SHORT = 3;
  const LONG = 4;
  const ASCII = 2;
  entries.push(
    [256, LONG, 1, width],
    [257, LONG, 1, height],
    [258, SHORT, 1, 8],
    [259, SHORT, 1, 1],
    [262, SHORT, 1, 1],
    [271, ASCII, 13, stringsOffset],
    [272, ASCII, 8, stringsOffset + 13],
    [273, LONG, 1, 8],
    [277, SHORT, 1, 1],
    [278, LONG, 1, height],
    [279, LONG, 1, pixels],
    [305, ASCII, 17, stringsOffset + 21],
  );
  const ifd = Buffer.alloc(ifdSize);
  ifd.writeUInt16LE(ifdEntries, 0);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(count, at + 4);
    if (type === SHORT) ifd.writeUInt16LE(value, at + 8);
    else ifd.writeUInt32LE(value, at + 8);
  });
  const header = Buffer.alloc(8);
  header.write("II*\0", 0, "latin1");
  header.writeUInt32LE(ifdOffset, 4);
  const padding = totalBytes - 8 - pixels - ifdSize - strings.length;
  return composeFile("ifd-last.tif", "IFD after the pixel data", [
    header,
    { filler: pixels },
    ifd,
    strings,
    Buffer.alloc(Math.max(0, padding)),
  ]);
}
