// Files built to be hostile to a parser's memory: what an attacker could
// upload to make ExifTool (and whatever serves its reads) allocate without
// bound. Generated in chunks, like the large samples.
import { deflateSync } from "node:zlib";
import { composeFile, type SyntheticFile } from "./synthetic";
import { storedZip } from "./stored-zip";

/** A TIFF whose IFD0 ImageDescription spans the whole object: ExifTool asks for it in one read. */
export function tiffOneHugeTag(totalBytes: number): SyntheticFile {
  const valueOffset = 8 + 2 + 12 + 4;
  const header = Buffer.alloc(valueOffset);
  header.write("II*\0", 0, "latin1");
  header.writeUInt32LE(8, 4);
  header.writeUInt16LE(1, 8);
  header.writeUInt16LE(0x010e, 10); // ImageDescription
  header.writeUInt16LE(2, 12); // ASCII
  header.writeUInt32LE(totalBytes - valueOffset, 14);
  header.writeUInt32LE(valueOffset, 18);
  header.writeUInt32LE(0, 22); // no next IFD
  return composeFile("one-huge-tag.tif", "one tag the size of the object", [
    header,
    { filler: totalBytes - valueOffset, unit: Buffer.from("A") },
  ]);
}

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A small PNG with a zTXt chunk that inflates to `inflatedBytes` (about 1,000 times its size). */
export function pngZtxtBomb(inflatedBytes: number): SyntheticFile {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0);
  ihdr.writeUInt32BE(1, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const compressed = deflateSync(Buffer.alloc(inflatedBytes, 0x41), { level: 9 });
  const ztxt = Buffer.concat([Buffer.from("Comment\0\0", "latin1"), compressed]);
  const file = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("zTXt", ztxt),
    pngChunk("IDAT", deflateSync(Buffer.from([0, 0]))),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
  return composeFile("ztxt-bomb.png", "zTXt chunk inflating ~1000x", [file]);
}

const XMP_HEAD =
  '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">';
const XMP_TAIL = '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>';

/**
 * An XMP file that costs ExifTool CPU time, not memory: `depth` nested
 * elements of one name, filled with empty elements of the same name.
 * XMP.pm finds each element's closing tag by matching every same-named tag
 * after it, so each level rescans the whole filling: time grows with depth
 * times size. 660 KB at depth 100 took plain `exiftool -json` 30 s (133 MB)
 * here; depth 200 about twice that.
 */
export function xmpNestingBomb(totalBytes = 660_000, depth = 200): SyntheticFile {
  const open = '<dc:a rdf:parseType="Resource">'.repeat(depth);
  const close = "</dc:a>".repeat(depth);
  const fixed = XMP_HEAD.length + XMP_TAIL.length + open.length + close.length;
  const filling = "<dc:a/>".repeat(Math.floor((totalBytes - fixed) / 7));
  const text = XMP_HEAD + open + filling + close + XMP_TAIL;
  return composeFile("nesting-bomb.xmp", `${depth} nested elements`, [Buffer.from(text)]);
}

/**
 * A legitimate file that needs much memory: a stored ZIP of `members` small
 * text files. ExifTool (Archive::Zip) keeps an object per member: 50,000
 * members (7.4 MB) took plain exiftool 460 MB, 12,000 about 150 MB.
 */
export function zipOfManyMembers(members: number): SyntheticFile {
  const body = Buffer.from("a small member\n");
  const parts = storedZip(
    Array.from({ length: members }, (_, i) => ({
      name: `notes/${String(i).padStart(6, "0")}.txt`,
      data: body,
    })),
  );
  return composeFile("many-members.zip", `${members} members`, parts);
}

/**
 * A legitimate JSON document that needs much memory: one object of small
 * numbered members, `totalBytes` long. ExifTool keeps a tag per member: a
 * 30 MB one took plain exiftool 600 MB, 1.4 MB more than 192 MB.
 */
export function jsonOfManyMembers(totalBytes: number): SyntheticFile {
  const members: string[] = [];
  let size = 2;
  for (let i = 0; size < totalBytes - 32; i++) {
    const member = `"k${i}": ${i}`;
    members.push(member);
    size += member.length + 2;
  }
  return composeFile("many-members.json", "one object of many members", [
    Buffer.from(`{${members.join(", ")}}`),
  ]);
}
