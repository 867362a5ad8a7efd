// The reference: the same pinned ExifTool run the ordinary way on local files,
// one new process per file.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { exiftoolPath, perlPath } from "../../function/exiftool/locate";
import { concurrencyLimit } from "../../function/concurrency-limit";

const run = promisify(execFile);
/** New Perl processes at once: one per core here. */
const limit = concurrencyLimit(2);

async function exiftoolOutput(files: string[], options: string[]): Promise<string> {
  const { stdout } = await limit(() =>
    run(perlPath(), [exiftoolPath(), "-json", ...options, ...files], {
      maxBuffer: 256 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => {
      // exiftool exits 1 when a file has an error, and still prints its JSON
      if (error.stdout) return { stdout: error.stdout };
      throw error;
    }),
  );
  return stdout;
}

/** What `exiftool -json OPTIONS FILE` prints for FILE alone: the object, as text. */
export async function exiftoolText(file: string, options: string[] = []): Promise<string> {
  const [text] = await exiftoolTextOfMany([file], options);
  return text!;
}

/** One process over all `files`: each file's object as text, in order. */
export async function exiftoolTextOfMany(
  files: string[],
  options: string[] = [],
): Promise<string[]> {
  const output = await exiftoolOutput(files, options);
  const body = output.slice(output.indexOf("[") + 1, output.lastIndexOf("]"));
  // objects are printed "{\n ... \n}" and joined by ",\n"; values hold no raw line break
  return body.split("\n},\n{").map((text, i, all) => {
    const head = i === 0 ? "" : "{";
    const tail = i === all.length - 1 ? "" : "\n}";
    return head + text + tail;
  });
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

/** A JSON object's lines as printed, without the local-file tags' lines, without trailing commas. */
export function comparableLines(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => {
      const tag = /^ {2}"([^"]+)":/.exec(line)?.[1];
      return !tag || !LOCAL_FILE_TAGS.includes(tag.split(":").pop()!);
    })
    .map((line) => line.replace(/,$/, ""));
}

/** `exiftool -json OPTIONS FILE` of each file alone, parsed, keyed by file name. */
export async function exiftoolJson(
  files: string[],
  options: string[] = [],
): Promise<Map<string, Record<string, unknown>>> {
  const texts = await Promise.all(files.map((file) => exiftoolText(file, options)));
  return new Map(
    files.map((file, i) => [
      file.split("/").pop()!,
      JSON.parse(texts[i]!) as Record<string, unknown>,
    ]),
  );
}

export function withoutLocalFileTags(metadata: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(metadata).filter(([key]) => !LOCAL_FILE_TAGS.includes(key.split(":").pop()!)),
  );
}
