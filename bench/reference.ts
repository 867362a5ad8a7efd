// The reference every contender is held to: the same ExifTool, run with the
// same options on the local copy of the file.
import { basename } from "node:path";
import { jsonEntries, spawnExiftool } from "./exiftool-process";

/** Tags that describe a local file (or a pipe), not the object's content. */
export const LOCAL_FILE_TAGS = [
  "SourceFile",
  "Directory",
  "FileName",
  "FileModifyDate",
  "FileAccessDate",
  "FileInodeChangeDate",
  "FilePermissions",
];

/** `exiftool -json OPTIONS FILES...`, keyed by file name. */
export async function localExiftool(
  files: readonly string[],
  options: readonly string[] = [],
): Promise<Map<string, Record<string, unknown>>> {
  const { stdout } = await spawnExiftool(["-json", ...options, ...files]).done;
  return new Map(jsonEntries(stdout).map((entry) => [basename(String(entry.SourceFile)), entry]));
}

/** Tags whose values differ, or that only one side has, local-file tags aside. */
export function differingTags(
  actual: Record<string, unknown>,
  reference: Record<string, unknown>,
): string[] {
  const relevant = (key: string): boolean => !LOCAL_FILE_TAGS.includes(key.split(":").pop()!);
  const keys = new Set([...Object.keys(actual), ...Object.keys(reference)].filter(relevant));
  return [...keys]
    .filter((key) => JSON.stringify(actual[key]) !== JSON.stringify(reference[key]))
    .sort();
}
