import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

export const ROOT = path.join(__dirname, "..", "..");

/** Pulumi.dev.yaml's config as Pulumi hands it to a program: every value a string. */
export function devStackConfig(): Record<string, string> {
  const file = parse(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(file.config)) {
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return values;
}
