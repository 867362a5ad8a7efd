// Latest stable Perl maintenance release and its tarball's SHA-256, from the
// MetaCPAN API (an Elasticsearch _search over the "perl" distribution's
// releases). Stable Perl has an even minor (5.40, 5.42); the maintenance
// release is the highest patch of the highest even minor.
import { fetchJson, isRecord, joinUrl, SourceError } from "./http";

export const CPAN_SOURCE = "CPAN (MetaCPAN API)";
export const DEFAULT_METACPAN = "https://fastapi.metacpan.org";

export interface PerlRelease {
  version: string;
  sha256: string;
  downloadUrl: string;
}

const RELEASE_NAME = /^perl-5\.(\d+)\.(\d+)$/;

// Older Elasticsearch answers `fields` with arrays, newer with scalars; the
// `_source` form is plain. Accept all so an API upgrade does not break us.
function unwrap(value: unknown): unknown {
  return Array.isArray(value) && value.length === 1 ? value[0] : value;
}

function hitFields(hit: unknown): Record<string, unknown> | undefined {
  if (!isRecord(hit)) return undefined;
  const fields = isRecord(hit["_source"]) ? hit["_source"] : hit["fields"];
  if (!isRecord(fields)) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, unwrap(v)]));
}

export function pickMaintenanceRelease(json: unknown, url: string): PerlRelease {
  const hits = isRecord(json) && isRecord(json["hits"]) ? json["hits"]["hits"] : undefined;
  if (!Array.isArray(hits)) {
    throw new SourceError(CPAN_SOURCE, `no hits.hits array in the answer from ${url}`);
  }
  let best: { minor: number; patch: number; release: PerlRelease } | undefined;
  for (const hit of hits) {
    const fields = hitFields(hit);
    if (!fields) continue;
    const name = fields["name"];
    const match = typeof name === "string" ? RELEASE_NAME.exec(name) : null;
    if (!match) continue;
    if (fields["maturity"] !== "released" || fields["authorized"] === false) continue;
    const minor = Number(match[1]);
    const patch = Number(match[2]);
    if (minor % 2 !== 0) continue;
    if (best && (minor < best.minor || (minor === best.minor && patch <= best.patch))) continue;
    const version = `5.${minor}.${patch}`;
    const sha256 = fields["checksum_sha256"];
    const downloadUrl = fields["download_url"];
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new SourceError(CPAN_SOURCE, `perl-${version} has no valid checksum_sha256 at ${url}`);
    }
    // the checksum is of the release archive; the Dockerfile downloads the
    // .tar.gz, so a release published in another format cannot be pinned
    if (typeof downloadUrl !== "string" || !downloadUrl.endsWith(`/perl-${version}.tar.gz`)) {
      throw new SourceError(CPAN_SOURCE, `perl-${version} is not a .tar.gz release at ${url}`);
    }
    best = { minor, patch, release: { version, sha256, downloadUrl } };
  }
  if (!best) {
    throw new SourceError(CPAN_SOURCE, `no stable perl-5.<even>.<patch> release in ${url}`);
  }
  return best.release;
}

export async function latestPerlRelease(base: string, timeoutMs: number): Promise<PerlRelease> {
  const url = joinUrl(base, "v1/release/_search");
  const query = {
    query: {
      bool: {
        must: [{ term: { distribution: "perl" } }, { term: { maturity: "released" } }],
      },
    },
    size: 500,
    sort: [{ date: "desc" }],
    _source: ["name", "version", "maturity", "authorized", "checksum_sha256", "download_url"],
  };
  const { json } = await fetchJson(url, {
    source: CPAN_SOURCE,
    timeoutMs,
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: JSON.stringify(query),
  });
  return pickMaintenanceRelease(json, url);
}
