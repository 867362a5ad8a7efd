// The files the contenders run on: ExifTool's own samples, and large
// generated files of known layout, written once into bench/cache (gitignored)
// and reused while their size matches.
import { createWriteStream, existsSync, readdirSync, statSync } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import { join } from "node:path";
import { once } from "node:events";
import {
  CORPUS_DIR,
  jpeg,
  mp3,
  quickTime,
  tiffIfdLast,
  type SyntheticFile,
} from "../samples/synthetic";
import { docx, manyMemberZip, pdf, pdfWithLargeXref } from "./more-synthetic";

export const CACHE_DIR = join(__dirname, "cache");
export { CORPUS_DIR };

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

export interface LargeFile {
  /** Object key and cache file name: the generator's name with its size. */
  key: string;
  synthetic: SyntheticFile;
}

/** The object the peak-memory target compares the largest QuickTime file with. */
export const RSS_BASELINE_SIZE = MiB;

/** The large files, each `scale` times its full size (the 1 MiB memory baseline excepted). */
export function largeFiles(scale: number): LargeFile[] {
  const sized = (bytes: number): number => Math.round(bytes * scale);
  const synthetics = [
    quickTime(RSS_BASELINE_SIZE, false),
    quickTime(sized(GiB), false),
    quickTime(sized(GiB), true),
    jpeg(sized(50 * MiB)),
    tiffIfdLast(sized(500 * MiB)),
    pdf(sized(200 * MiB)),
    mp3(sized(100 * MiB)),
    docx(sized(100 * MiB)),
    // long runs of small sequential reads: GETs show whether read-ahead starts
    manyMemberZip(sized(60_000)),
    pdfWithLargeXref(sized(240_000)),
  ];
  return synthetics.map((synthetic) => {
    const dot = synthetic.name.lastIndexOf(".");
    const key = `${synthetic.name.slice(0, dot)}-${sizeLabel(synthetic.size)}${synthetic.name.slice(dot)}`;
    return { key, synthetic };
  });
}

export function sizeLabel(bytes: number): string {
  const units: [number, string][] = [
    [GiB, "GiB"],
    [MiB, "MiB"],
    [1024, "KiB"],
  ];
  for (const [unit, name] of units) {
    if (bytes >= unit) return `${Number((bytes / unit).toFixed(1))}${name}`;
  }
  return `${bytes}B`;
}

/** The cached file, written (streaming) unless a file of the right size is there. */
export async function materialize(file: LargeFile): Promise<string> {
  const path = join(CACHE_DIR, file.key);
  if (existsSync(path) && statSync(path).size === file.synthetic.size) return path;
  await mkdir(CACHE_DIR, { recursive: true });
  const partial = `${path}.partial`;
  const out = createWriteStream(partial);
  for (const chunk of file.synthetic.chunks()) {
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  await rename(partial, path);
  return path;
}

/** ExifTool's sample files; `every` > 1 keeps one in that many, for a quick run. */
export function sampleFiles(every = 1): string[] {
  return readdirSync(CORPUS_DIR)
    .sort()
    .filter((_name, index) => index % every === 0);
}
