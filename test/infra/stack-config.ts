import * as path from "node:path";
import { readStackConfig } from "../../infra/stack-file";

export const ROOT = path.join(__dirname, "..", "..");

/** Pulumi.dev.yaml's config as Pulumi hands it to a program: every value a string. */
export function devStackConfig(): Record<string, string> {
  return readStackConfig(ROOT, "dev");
}
