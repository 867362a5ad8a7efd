// The format modules worker.pl's parent loads while it serves, one per object
// (FORMAT_MODULES there), read from its source: the preloading audits and the
// benchmark's cold start need the list, and worker.pl is where it is decided.
import { readFileSync } from "node:fs";
import { workerScriptPath } from "./locate";

/** Their files, as `require` names them (Image/ExifTool/Canon.pm), in the order the parent loads them. */
export function formatModules(): string[] {
  const source = readFileSync(workerScriptPath(), "utf8");
  const list =
    /use constant FORMAT_MODULES => map \{ "Image\/ExifTool\/\$_\.pm" \} qw\(([^)]*)\);/.exec(
      source,
    );
  if (!list) throw new Error(`${workerScriptPath()}: no FORMAT_MODULES list found`);
  return list[1]!
    .split(/\s+/)
    .filter(Boolean)
    .map((name) => `Image/ExifTool/${name}.pm`);
}

/**
 * Objects a worker serves before its parent is done preparing, one step per
 * object: each format module, then huge pages for its memory.
 */
export function preparationSteps(): number {
  return formatModules().length + 1;
}
