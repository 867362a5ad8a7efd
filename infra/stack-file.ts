// Reads a stack's settings straight from Pulumi.<stack>.yaml, for tools that
// run without the Pulumi engine (the image test, the unit tests).
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseSettings, PROJECT, type Settings } from "./config";
import { packageExiftoolVersion } from "./stack";

/** The stack file's config as Pulumi hands it to a program: every value a string. */
export function readStackConfig(root: string, stack: string): Record<string, string> {
  const file = parse(readFileSync(path.join(root, `Pulumi.${stack}.yaml`), "utf8")) as {
    config?: Record<string, unknown>;
  };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config ?? {})) {
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return values;
}

/** Validated settings of a stack, as `pulumi preview` would compute them. */
export function stackSettings(
  root: string,
  stack: string,
  overrides: Record<string, string> = {},
): Settings {
  const config = readStackConfig(root, stack);
  return parseSettings((key) => overrides[key] ?? config[`${PROJECT}:${key}`], {
    exiftoolPackageVersion: packageExiftoolVersion(root),
  });
}
