// The Pulumi CLI the deploy stage installs (release/buildspec-deploy.yml):
// the release of the @pulumi/pulumi SDK that package-lock.json pins, checked
// against the SHA-256 committed in release/pulumi-cli.json. `npm run versions
// -- --pulumi-cli --write` records that hash from the release's checksums
// file; the deploy stage itself never trusts a file it downloads.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fetchText, isRecord, joinUrl, SourceError } from "./http";

export const PULUMI_CLI_PIN = "release/pulumi-cli.json";
export const PULUMI_SOURCE = "Pulumi releases";
export const DEFAULT_PULUMI_RELEASES = "https://github.com/pulumi/pulumi/releases/download";
export const REFRESH_COMMAND = "npm run versions -- --pulumi-cli --write";

export interface PulumiCliPin {
  version: string;
  /** SHA-256 of the linux-arm64 tarball; "" until recorded. */
  linuxArm64Sha256: string;
}

const SEMVER = /^\d+\.\d+\.\d+$/;
const SHA256 = /^[0-9a-f]{64}$/;

/** The release asset CodeBuild's arm64 image installs. */
export const tarballName = (version: string): string => `pulumi-v${version}-linux-arm64.tar.gz`;

export function readPulumiCliPin(root: string): PulumiCliPin {
  const file = join(root, PULUMI_CLI_PIN);
  const pin: unknown = JSON.parse(readFileSync(file, "utf8"));
  if (
    !isRecord(pin) ||
    typeof pin["version"] !== "string" ||
    !SEMVER.test(pin["version"]) ||
    typeof pin["linuxArm64Sha256"] !== "string" ||
    !(pin["linuxArm64Sha256"] === "" || SHA256.test(pin["linuxArm64Sha256"]))
  ) {
    throw new Error(
      `${file} must hold {"version": "x.y.z", "linuxArm64Sha256": "<64 hex digits, or empty>"}`,
    );
  }
  return { version: pin["version"], linuxArm64Sha256: pin["linuxArm64Sha256"] };
}

/** The @pulumi/pulumi version package-lock.json installs. */
export function lockedSdkVersion(root: string): string {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages?: Record<string, { version?: string }>;
  };
  const version = lock.packages?.["node_modules/@pulumi/pulumi"]?.version;
  if (version === undefined) throw new Error("package-lock.json has no @pulumi/pulumi");
  return version;
}

/** Why the pin cannot be used with this lockfile; undefined when it can. */
export function pinProblem(pin: PulumiCliPin, sdkVersion: string): string | undefined {
  if (pin.version !== sdkVersion) {
    return `${PULUMI_CLI_PIN} pins the Pulumi CLI ${pin.version}, but package-lock.json has @pulumi/pulumi ${sdkVersion}: run \`${REFRESH_COMMAND}\` and commit the file`;
  }
  if (pin.linuxArm64Sha256 === "") {
    return `${PULUMI_CLI_PIN} has no SHA-256 for ${tarballName(pin.version)}: run \`${REFRESH_COMMAND}\` where GitHub is reachable, and commit the file`;
  }
  return undefined;
}

/** The tarball's SHA-256 as the release's checksums file publishes it. */
export async function publishedSha256(
  releases: string,
  version: string,
  timeoutMs: number,
): Promise<string> {
  const url = joinUrl(releases, `v${version}/pulumi-${version}-checksums.txt`);
  const { text } = await fetchText(url, { source: PULUMI_SOURCE, timeoutMs });
  const tarball = tarballName(version);
  for (const line of text.split("\n")) {
    const [hash, name] = line.trim().split(/\s+\*?/);
    if (name === tarball && hash !== undefined && SHA256.test(hash)) return hash;
  }
  throw new SourceError(PULUMI_SOURCE, `${url} lists no SHA-256 for ${tarball}`);
}

export function writePulumiCliPin(root: string, pin: PulumiCliPin): void {
  const file = join(root, PULUMI_CLI_PIN);
  writeFileSync(`${file}.versions-tmp`, `${JSON.stringify(pin, null, 2)}\n`);
  renameSync(`${file}.versions-tmp`, file);
}
