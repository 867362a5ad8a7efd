// Files that leave state behind in a single ExifTool process, built from
// ExifTool's own samples.

/** An ICC profile whose rXYZ entry has a type ExifTool does not decode ("zzzz" in place of "XYZ "). */
export function iccWithUnsupportedRxyz(icc: Buffer): Buffer {
  const poisoned = Buffer.from(icc);
  const count = poisoned.readUInt32BE(128);
  for (let i = 0; i < count; i++) {
    const entry = 132 + 12 * i;
    if (poisoned.toString("latin1", entry, entry + 4) !== "rXYZ") continue;
    poisoned.write("zzzz", poisoned.readUInt32BE(entry + 4), "latin1");
    return poisoned;
  }
  throw new Error("the ICC profile has no rXYZ entry");
}

/** ue7, BPG's variable-length unsigned integer: 7 bits a byte, most significant first. */
function ue7(value: number): Buffer {
  const bytes = [value & 0x7f];
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) bytes.unshift(0x80 | (rest & 0x7f));
  return Buffer.from(bytes);
}

/** A 16x16 BPG with no image data and `icc` as its ICC profile extension. */
export function bpgWithIcc(icc: Buffer): Buffer {
  const extension = Buffer.concat([Buffer.from([2]), ue7(icc.length), icc]);
  return Buffer.concat([
    Buffer.from("BPG\xfb", "latin1"),
    Buffer.from([0x40, 0x08]), // 4:2:0 8-bit; the extension-present flag
    ue7(16),
    ue7(16),
    ue7(0),
    ue7(extension.length),
    extension,
  ]);
}
