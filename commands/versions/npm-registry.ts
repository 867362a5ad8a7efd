// Latest published version of an npm package, from the registry's dist-tags
// document (the endpoint `npm dist-tag ls` reads): {"latest": "x.y.z", ...}.
import { fetchJson, isRecord, joinUrl, SourceError } from "./http";

export const NPM_SOURCE = "npm registry";
export const DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org";

const SEMVER = /^\d+\.\d+\.\d+$/;

export async function latestNpmVersion(
  registry: string,
  packageName: string,
  timeoutMs: number,
): Promise<string> {
  // scoped names keep their @ but need the slash escaped in this path
  const escaped = packageName.replace("/", "%2f");
  const url = joinUrl(registry, `-/package/${escaped}/dist-tags`);
  const { json } = await fetchJson(url, {
    source: NPM_SOURCE,
    timeoutMs,
    headers: { accept: "application/json" },
  });
  const latest = isRecord(json) ? json["latest"] : undefined;
  if (typeof latest !== "string" || !SEMVER.test(latest)) {
    throw new SourceError(NPM_SOURCE, `no stable "latest" dist-tag for ${packageName} at ${url}`);
  }
  return latest;
}
