// exiftool.org publishes the current ExifTool version as the whole body of
// ver.txt (e.g. "13.59"). Shown for reference only: the pin follows the npm
// package, which can lag exiftool.org by a few days.
import { fetchText, joinUrl, SourceError } from "./http";

export const EXIFTOOL_ORG_SOURCE = "exiftool.org";
export const DEFAULT_EXIFTOOL_ORG = "https://exiftool.org";

export async function latestExiftoolOrgVersion(base: string, timeoutMs: number): Promise<string> {
  const url = joinUrl(base, "ver.txt");
  const { text } = await fetchText(url, { source: EXIFTOOL_ORG_SOURCE, timeoutMs });
  const version = text.trim();
  if (!/^\d+\.\d+$/.test(version)) {
    throw new SourceError(
      EXIFTOOL_ORG_SOURCE,
      `ver.txt at ${url} is not a version number: ${JSON.stringify(version.slice(0, 40))}`,
    );
  }
  return version;
}
