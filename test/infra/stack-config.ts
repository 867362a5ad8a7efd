import * as path from "node:path";
import { parseSettings, PROJECT, type Settings } from "../../infra/config";
import { packageExiftoolVersion } from "../../infra/package-pins";
import { readStackConfig } from "../../infra/stack-file";
import { ACCOUNT, REGION } from "./mocks";

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

/** A CodeConnections connection of the mocks' account, for the release pipeline's config. */
export const RELEASE_CONNECTION = `arn:aws:codeconnections:${REGION}:${ACCOUNT}:connection/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`;

/** A valid `releasePipeline` setting, as JSON, with `extra` laid over it. */
export const releaseConfig = (extra: Record<string, unknown> = {}): string =>
  JSON.stringify({
    repository: "acme/s3-exiftool",
    branch: "main",
    connectionArn: RELEASE_CONNECTION,
    backendUrl: "s3://acme-pulumi-state/s3-exiftool",
    passphraseSecret: "s3-exiftool/pulumi-passphrase",
    ...extra,
  });
