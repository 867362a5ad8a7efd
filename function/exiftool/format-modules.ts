// The format modules worker.pl's parent loads while it serves, one per object
// (FORMAT_MODULES there), read from its source: the preloading audits and the
// benchmark's cold start need the list, and worker.pl is where it is decided.
import { readFileSync } from "node:fs";
import { workerScriptPath } from "./locate";

/**
 * Their files, as `require` names them (Image/ExifTool/Canon.pm), in the
 * order the parent loads them: ExifTool's format modules, then the libraries
 * outside ExifTool that they require (Archive/Zip.pm).
 */
export function formatModules(): string[] {
  const source = readFileSync(workerScriptPath(), "utf8");
  const list =
    /use constant FORMAT_MODULES => \(map\(\{ "Image\/ExifTool\/\$_\.pm" \} qw\(([^)]*)\)\), qw\(([^)]*)\)\);/.exec(
      source,
    );
  if (!list) throw new Error(`${workerScriptPath()}: no FORMAT_MODULES list found`);
  const words = (text: string): string[] => text.split(/\s+/).filter(Boolean);
  return [...words(list[1]!).map((name) => `Image/ExifTool/${name}.pm`), ...words(list[2]!)];
}

/**
 * Objects a worker serves before its parent is done preparing, one step per
 * object: each format module, then huge pages for its memory.
 */
export function preparationSteps(): number {
  return formatModules().length + 1;
}
