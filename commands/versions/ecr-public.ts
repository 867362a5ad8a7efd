// The Lambda Node.js base image on the public ECR registry, read through the
// OCI distribution API with an anonymous pull token (no AWS credentials).
import { fetchJson, isRecord, joinUrl, SourceError } from "./http";

export const ECR_SOURCE = "ECR Public (public.ecr.aws)";
export const DEFAULT_ECR_PUBLIC = "https://public.ecr.aws";
export const LAMBDA_NODEJS_REPOSITORY = "lambda/nodejs";

// Ask for the multi-platform forms first; the single-image forms are listed
// only so the registry answers rather than 404s and we can say what went wrong.
const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export interface EcrOptions {
  base: string;
  timeoutMs: number;
  repository?: string;
}

export async function anonymousToken(options: EcrOptions): Promise<string> {
  const repository = options.repository ?? LAMBDA_NODEJS_REPOSITORY;
  const url = joinUrl(options.base, `token/?scope=repository:${repository}:pull`);
  const { json } = await fetchJson(url, { source: ECR_SOURCE, timeoutMs: options.timeoutMs });
  const token = isRecord(json) ? json["token"] : undefined;
  if (typeof token !== "string" || token === "") {
    throw new SourceError(ECR_SOURCE, `no token in the answer from ${url}`);
  }
  return token;
}

/** GET on the registry API with the bearer token; shared with the tags list. */
export async function registryGet(
  options: EcrOptions,
  token: string,
  path: string,
  source: string,
  accept = "application/json",
): Promise<{ json: unknown; headers: Headers; url: string }> {
  // a Link header may give the next page as an absolute URL
  const url = /^https?:\/\//.test(path) ? path : joinUrl(options.base, path);
  const { json, headers } = await fetchJson(url, {
    source,
    timeoutMs: options.timeoutMs,
    headers: { authorization: `Bearer ${token}`, accept },
  });
  return { json, headers, url };
}

export function pickArm64Digest(json: unknown, url: string): string {
  const manifests = isRecord(json) ? json["manifests"] : undefined;
  if (!Array.isArray(manifests)) {
    throw new SourceError(ECR_SOURCE, `${url} is not a multi-platform image index`);
  }
  const arm64 = manifests.filter((entry) => {
    const platform = isRecord(entry) ? entry["platform"] : undefined;
    return isRecord(platform) && platform["os"] === "linux" && platform["architecture"] === "arm64";
  });
  if (arm64.length !== 1) {
    throw new SourceError(
      ECR_SOURCE,
      arm64.length === 0
        ? `no linux/arm64 entry in the image index at ${url}`
        : `${arm64.length} linux/arm64 entries in the image index at ${url}`,
    );
  }
  const digest = (arm64[0] as Record<string, unknown>)["digest"];
  if (typeof digest !== "string" || !DIGEST.test(digest)) {
    throw new SourceError(ECR_SOURCE, `linux/arm64 entry at ${url} has no sha256 digest`);
  }
  return digest;
}

/** Digest of the linux/arm64 image manifest behind `lambda/nodejs:<tag>`. */
export async function arm64Digest(
  options: EcrOptions,
  token: Promise<string>,
  tag: string,
): Promise<string> {
  const repository = options.repository ?? LAMBDA_NODEJS_REPOSITORY;
  const { json, url } = await registryGet(
    options,
    await token,
    `v2/${repository}/manifests/${tag}`,
    ECR_SOURCE,
    MANIFEST_ACCEPT,
  );
  return pickArm64Digest(json, url);
}
