// Reads a stack's settings straight from Pulumi.<stack>.yaml, for tools that
// run without the Pulumi engine (`npm start`, `npm run check-config`, the
// image test, the unit tests). No Pulumi SDK here: checking a stack file must
// cost neither a provider nor an image build.
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { CONFIG_KEYS, parseSettings, PROJECT, type Settings } from "./config";
import { packageExiftoolVersion } from "./package-pins";
import { checkKnownKeys } from "./unknown-keys";

/** A stack file that is missing or not a Pulumi stack file; the message names it. */
export class StackFileError extends Error {
  override readonly name = "StackFileError";
}

export function stackFilePath(root: string, stack: string): string {
  return path.join(root, `Pulumi.${stack}.yaml`);
}

function readConfigSection(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new StackFileError(`no stack file ${file}: name an existing stack with --stack`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new StackFileError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const config = (document as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new StackFileError(`${file}: "config" must be a mapping of keys to values`);
  }
  return config as Record<string, unknown>;
}

/** The stack file's config as Pulumi hands it to a program: every value a string. */
export function readStackConfig(root: string, stack: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(readConfigSection(stackFilePath(root, stack)))) {
    if (value === undefined || value === null) continue;
    values[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return values;
}

/**
 * Validated settings of a stack, as `pulumi preview` would compute them:
 * unknown keys and invalid values fail with the key's name.
 */
export function stackSettings(
  root: string,
  stack: string,
  overrides: Record<string, string> = {},
): Settings {
  const config = readStackConfig(root, stack);
  checkKnownKeys(Object.keys(config), CONFIG_KEYS, stackFilePath(root, stack));
  return parseSettings((key) => overrides[key] ?? config[`${PROJECT}:${key}`], {
    exiftoolPackageVersion: packageExiftoolVersion(root),
  });
}
