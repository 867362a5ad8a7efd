// Shared by the local pipeline's tests: the corpus, bounded waits, and the
// pipeline on a free port with clocks short enough for retries in seconds.
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { loadLocalSettings, type SettingsOverrides } from "../../local/config";
import { startPipeline, type Pipeline, type PipelineOptions } from "../../local/pipeline";

export const ROOT = path.join(__dirname, "..", "..");
export const CORPUS = path.join(ROOT, "..", "shared", "corpus", "exiftool-samples");

/** The first n corpus files (sorted), so every run uploads the same ones. */
export function corpusFiles(n: number, pattern = /\.(jpg|png|tif|gif|heic|pdf|mp3)$/i): string[] {
  return readdirSync(CORPUS)
    .filter((name) => pattern.test(name))
    .sort()
    .slice(0, n)
    .map((name) => path.join(CORPUS, name));
}

/** Polls until check() returns a value, or fails after timeoutMs saying what it waited for. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  everyMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const FAST: SettingsOverrides = { timeoutSeconds: 20, visibilityTimeoutSeconds: 2 };

export function startTestPipeline(
  overrides: SettingsOverrides = {},
  options: Omit<PipelineOptions, "settings"> = {},
  stack = "dev",
): Promise<Pipeline> {
  return startPipeline({
    settings: loadLocalSettings(stack, { ...FAST, ...overrides }),
    port: 0,
    handlerLogLevel: "SILENT",
    onWarning: () => undefined,
    ...options,
  });
}
