// What an annotation holds: the result record exactly as the results bucket
// stores it, on one line. ExifTool prints its JSON over many lines; the line
// breaks and indentation between tokens go, and every token (each number
// and string exactly as ExifTool printed it) stays byte for byte. A record
// over S3's 1 MiB limit goes whole to the results bucket, and the annotation
// holds a pointer record: the record without `metadata`, plus where it is.
import { stringifyWithExifToolJson } from "../exiftool/exiftool-json";
import type { ResultRecord } from "./result-record";

/** `json` without the whitespace between its tokens; strings (and so every value) untouched. */
export function compactJson(json: string): string {
  let out = "";
  let inString = false;
  let escaped = false;
  let runStart = 0;
  for (let i = 0; i < json.length; i++) {
    const char = json[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (char === "\\") escaped = true;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === " " || char === "\n" || char === "\r" || char === "\t") {
      out += json.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return out + json.slice(runStart);
}

/** The annotation payload of a record small enough for one annotation. */
export function annotationPayload(result: ResultRecord): string {
  return compactJson(stringifyWithExifToolJson(result));
}

/** Where a record too large for an annotation was stored instead. */
export interface RecordLocation {
  bucket: string;
  key: string;
  bytes: number;
}

/**
 * The annotation of a record over 1 MiB: everything but `metadata` (so its
 * object, ExifTool version and options still say what it describes), and
 * `metadataStoredAt` naming the full record in the results bucket.
 */
export function pointerPayload(result: ResultRecord, full: RecordLocation): string {
  const { metadata: _metadata, ...described } = result;
  return JSON.stringify({ ...described, metadataStoredAt: full });
}
