// The reference: the same pinned ExifTool run the ordinary way on local files.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { exiftoolPath, perlPath } from "../../function/exiftool/locate";

const run = promisify(execFile);

/** `exiftool -json OPTIONS FILES...`, keyed by file name. */
export async function exiftoolJson(
  files: string[],
  options: string[] = [],
): Promise<Map<string, Record<string, unknown>>> {
  const { stdout } = await run(perlPath(), [exiftoolPath(), "-json", ...options, ...files], {
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => {
    // exiftool exits 1 when some file has an error, and still prints them all
    if (error.stdout) return { stdout: error.stdout };
    throw error;
  });
  const parsed = JSON.parse(stdout) as Record<string, unknown>[];
  return new Map(parsed.map((entry) => [String(entry.SourceFile).split("/").pop()!, entry]));
}

/** Tags that describe a local file, not the object; keyed with or without a group prefix. */
export const LOCAL_FILE_TAGS = [
  "SourceFile",
  "Directory",
  "FileModifyDate",
  "FileAccessDate",
  "FileInodeChangeDate",
  "FilePermissions",
];

export function withoutLocalFileTags(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(metadata).filter(([key]) => !LOCAL_FILE_TAGS.includes(key.split(":").pop()!)),
  );
}
