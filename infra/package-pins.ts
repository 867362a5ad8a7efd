// What package.json pins that the stack config must agree with.
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** The exiftool-vendored.pl version that package.json pins exactly. */
export function packageExiftoolVersion(root: string): string {
  const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  const version = manifest.dependencies?.["exiftool-vendored.pl"];
  if (!version) throw new Error("package.json has no exiftool-vendored.pl dependency");
  return version;
}
