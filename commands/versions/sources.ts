// Asks every source at once and either returns all their answers or throws
// one error that names each source that failed: a partial answer is never
// used, so nothing can be written from it.
import { DEFAULT_METACPAN, latestPerlRelease, type PerlRelease } from "./cpan";
import { anonymousToken, arm64Digest, DEFAULT_ECR_PUBLIC } from "./ecr-public";
import { DEFAULT_EXIFTOOL_ORG, latestExiftoolOrgVersion } from "./exiftool-org";
import { DEFAULT_TIMEOUT_MS, SourceError } from "./http";
import { lambdaNodeMajors, type NodeMajors } from "./lambda-runtimes";
import { DEFAULT_NPM_REGISTRY, latestNpmVersion } from "./npm-registry";
import { DEFAULT_PULUMI_RELEASES } from "./pulumi-cli";

export const EXIFTOOL_PACKAGE = "exiftool-vendored.pl";

export interface SourceConfig {
  npmRegistry: string;
  exiftoolOrg: string;
  metacpan: string;
  ecrPublic: string;
  /** GitHub's release downloads of pulumi/pulumi (--pulumi-cli). */
  pulumiReleases: string;
  timeoutMs: number;
}

/**
 * Base URLs come from the environment so tests (and mirrors) can point each
 * source elsewhere; npm's own registry setting is honoured because
 * `npm install` will use it too.
 */
export function sourceConfigFromEnv(env: NodeJS.ProcessEnv): SourceConfig {
  const timeout = Number(env["VERSIONS_TIMEOUT_MS"]);
  return {
    npmRegistry: env["VERSIONS_NPM_REGISTRY"] || env["npm_config_registry"] || DEFAULT_NPM_REGISTRY,
    exiftoolOrg: env["VERSIONS_EXIFTOOL_ORG"] || DEFAULT_EXIFTOOL_ORG,
    metacpan: env["VERSIONS_METACPAN"] || DEFAULT_METACPAN,
    ecrPublic: env["VERSIONS_ECR_PUBLIC"] || DEFAULT_ECR_PUBLIC,
    pulumiReleases: env["VERSIONS_PULUMI_RELEASES"] || DEFAULT_PULUMI_RELEASES,
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : DEFAULT_TIMEOUT_MS,
  };
}

export interface Latest {
  exiftoolVersion: string;
  exiftoolOrgVersion: string;
  perl: PerlRelease;
  nodeMajors: NodeMajors;
  /** digest of lambda/nodejs:<digestMajor> for linux/arm64 */
  baseImageDigest: string;
  digestMajor: number;
}

export class SourcesError extends Error {
  constructor(
    readonly failures: string[],
    /** What the sources that did answer said, for the table. */
    readonly answered: Partial<Latest> = {},
  ) {
    super(
      `could not read ${failures.length === 1 ? "a source" : "sources"}:\n  ${failures.join("\n  ")}`,
    );
    this.name = "SourcesError";
  }
}

export async function fetchLatest(config: SourceConfig, nodeMajor: number): Promise<Latest> {
  const ecr = { base: config.ecrPublic, timeoutMs: config.timeoutMs };
  const token = anonymousToken(ecr);
  // the digest and the tags list both wait on it; without this, a failed
  // token would also count as an unhandled rejection
  token.catch(() => undefined);
  const settled = await Promise.allSettled([
    latestNpmVersion(config.npmRegistry, EXIFTOOL_PACKAGE, config.timeoutMs),
    latestExiftoolOrgVersion(config.exiftoolOrg, config.timeoutMs),
    latestPerlRelease(config.metacpan, config.timeoutMs),
    lambdaNodeMajors(ecr, token),
    arm64Digest(ecr, token, String(nodeMajor)),
  ] as const);
  const failures: string[] = [];
  for (const result of settled) {
    if (result.status === "fulfilled") continue;
    const reason: unknown = result.reason;
    const message =
      reason instanceof SourceError ? reason.message : `unexpected error: ${String(reason)}`;
    // one dead token endpoint fails two requests; say it once
    if (!failures.includes(message)) failures.push(message);
  }
  const [npm, exiftoolOrg, perl, majors, digest] = settled;
  if (
    failures.length > 0 ||
    npm.status !== "fulfilled" ||
    exiftoolOrg.status !== "fulfilled" ||
    perl.status !== "fulfilled" ||
    majors.status !== "fulfilled" ||
    digest.status !== "fulfilled"
  ) {
    const value = <T>(result: PromiseSettledResult<T>): T | undefined =>
      result.status === "fulfilled" ? result.value : undefined;
    throw new SourcesError(failures, {
      exiftoolVersion: value(npm),
      exiftoolOrgVersion: value(exiftoolOrg),
      perl: value(perl),
      nodeMajors: value(majors),
      baseImageDigest: value(digest),
    });
  }
  return {
    exiftoolVersion: npm.value,
    exiftoolOrgVersion: exiftoolOrg.value,
    perl: perl.value,
    nodeMajors: majors.value,
    baseImageDigest: digest.value,
    digestMajor: nodeMajor,
  };
}
