// Which Node.js majors Lambda supports, read from the base image's tags.
// Every major ever released keeps its tag ("18", "20", ...), so a bare tag
// does not mean "supported". Lambda rebuilds the images of supported runtimes
// every few weeks and publishes each build as a dated tag
// (<major>.<yyyy>.<mm>.<dd>.<nn>[-arm64|-x86_64]); a major whose newest build
// is far older than the newest build of any major is no longer maintained.
import { SourceError } from "./http";
import { LAMBDA_NODEJS_REPOSITORY, registryGet, type EcrOptions } from "./ecr-public";

export const RUNTIMES_SOURCE = "Lambda Node.js runtimes (ECR Public tags)";

const MAX_PAGES = 50;
export const STALE_AFTER_DAYS = 90;

const MAJOR_TAG = /^(\d+)$/;
const DATED_TAG = /^(\d+)\.(\d{4})\.(\d{2})\.(\d{2})\.\d+(?:-(?:arm64|x86_64))?$/;

export interface NodeMajors {
  /** majors with a bare tag whose images are still rebuilt, ascending */
  supported: number[];
  /** every major with a bare tag, ascending */
  published: number[];
}

export function supportedMajors(tags: readonly string[]): NodeMajors {
  const published = new Set<number>();
  const lastBuild = new Map<number, number>();
  for (const tag of tags) {
    const bare = MAJOR_TAG.exec(tag);
    if (bare) published.add(Number(bare[1]));
    const dated = DATED_TAG.exec(tag);
    if (dated) {
      const major = Number(dated[1]);
      const time = Date.UTC(Number(dated[2]), Number(dated[3]) - 1, Number(dated[4]));
      lastBuild.set(major, Math.max(lastBuild.get(major) ?? 0, time));
    }
  }
  const sorted = [...published].sort((a, b) => a - b);
  if (lastBuild.size === 0) return { supported: sorted, published: sorted };
  // measured against the newest build in the data, not today's date, so a
  // pause in Lambda's rebuilds does not mark every runtime unsupported
  const newest = Math.max(...lastBuild.values());
  const cutoff = newest - STALE_AFTER_DAYS * 24 * 3600 * 1000;
  const supported = sorted.filter((major) => (lastBuild.get(major) ?? 0) >= cutoff);
  return { supported, published: sorted };
}

// The OCI distribution API paginates with a Link header:
//   Link: </v2/<name>/tags/list?n=1000&last=...>; rel="next"
function nextPage(link: string | null): string | undefined {
  if (!link) return undefined;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match?.[1];
}

export async function listTags(options: EcrOptions, token: Promise<string>): Promise<string[]> {
  const repository = options.repository ?? LAMBDA_NODEJS_REPOSITORY;
  const tags: string[] = [];
  let path: string | undefined = `v2/${repository}/tags/list?n=1000`;
  for (let page = 0; path !== undefined; page++) {
    if (page === MAX_PAGES) {
      throw new SourceError(RUNTIMES_SOURCE, `more than ${MAX_PAGES} pages of tags`);
    }
    const { json, headers, url } = await registryGet(options, await token, path, RUNTIMES_SOURCE);
    const pageTags =
      typeof json === "object" && json !== null ? (json as { tags?: unknown }).tags : undefined;
    if (!Array.isArray(pageTags) || !pageTags.every((tag) => typeof tag === "string")) {
      throw new SourceError(RUNTIMES_SOURCE, `no tags array in the answer from ${url}`);
    }
    tags.push(...pageTags);
    const next = nextPage(headers.get("link"));
    // a Link target is a URI reference: "/v2/..." is relative to the host
    path = next === undefined ? undefined : new URL(next, url).toString();
  }
  return tags;
}

export async function lambdaNodeMajors(
  options: EcrOptions,
  token: Promise<string>,
): Promise<NodeMajors> {
  const majors = supportedMajors(await listTags(options, token));
  if (majors.supported.length === 0) {
    throw new SourceError(RUNTIMES_SOURCE, "no numeric Node.js major tags found");
  }
  return majors;
}
