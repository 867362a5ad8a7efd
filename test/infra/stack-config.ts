import * as path from "node:path";
import { parseSettings, PROJECT, type Settings } from "../../infra/config";
import { packageExiftoolVersion } from "../../infra/package-pins";
import { readStackConfig } from "../../infra/stack-file";

export const ROOT = path.join(__dirname, "..", "..");

/** Pulumi.dev.yaml's config as Pulumi hands it to a program: every value a string. */
export function devStackConfig(): Record<string, string> {
  return readStackConfig(ROOT, "dev");
}

/** The dev stack's settings, with some keys (without the project prefix) set otherwise. */
export function devStackSettings(overrides: Record<string, string> = {}): Settings {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(devStackConfig())) {
    if (key.startsWith(`${PROJECT}:`)) values[key.slice(PROJECT.length + 1)] = value;
  }
  Object.assign(values, overrides);
  return parseSettings((key) => values[key], {
    exiftoolPackageVersion: overrides.exiftoolVersion ?? packageExiftoolVersion(ROOT),
  });
}
