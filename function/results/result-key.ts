// Where an object's result is stored: <prefix><key>.json. S3 refuses keys
// over 1,024 bytes, and a source key may itself be up to 1,024 bytes, so a
// result key that would pass the limit is shortened instead: the source key
// cut at a character boundary, "~", the SHA-256 (hex) of the whole source
// key, ".json", at most 1,024 bytes. A source key that itself ends in "~"
// and 64 hex digits takes that hashed form too, whatever its length: a plain
// result key then never has the hashed form's shape, so two source keys
// share a result key only if their SHA-256 does. The result record keeps the
// full source key.
import { createHash } from "node:crypto";

export const MAX_S3_KEY_BYTES = 1024;
const EXTENSION = ".json";
/** The end of a shortened result key's source part: "~" and a SHA-256 in hex. */
const HASHED_SHAPE = /~[0-9a-f]{64}$/;

export function resultKey(prefix: string, key: string): string {
  const plain = `${prefix}${key}${EXTENSION}`;
  if (Buffer.byteLength(plain) <= MAX_S3_KEY_BYTES && !HASHED_SHAPE.test(key)) return plain;
  const tail = `~${createHash("sha256").update(key).digest("hex")}${EXTENSION}`;
  const room = MAX_S3_KEY_BYTES - Buffer.byteLength(prefix) - tail.length;
  if (room < 0) {
    throw new Error(
      `the results prefix (${Buffer.byteLength(prefix)} bytes) leaves no room for a result key within S3's ${MAX_S3_KEY_BYTES} bytes`,
    );
  }
  return `${prefix}${utf8Prefix(key, room)}${tail}`;
}

/** The longest start of text that fits in maxBytes of UTF-8 without splitting a character. */
function utf8Prefix(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += Buffer.byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}
