// bench/results/latest.md: the targets, the per-file table of the large
// files, totals for the samples, throughput, the machine and the method.
import { bytes, CONTENDERS, mib, targets, totals, type Results, type Row } from "../results";

export function renderMarkdown(results: Results): string {
  const { machine, settings } = results;
  const lines: string[] = [
    `# Benchmark results (${settings.mode} run)`,
    "",
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${bytes(machine.memoryBytes)} memory, ${machine.os}; ` +
      `Node ${machine.node}, Perl ${machine.perl}, ExifTool ${machine.exiftool}; ${machine.date}; ` +
      `1-minute load average ${machine.loadAverage.map((l) => l.toFixed(2)).join(" at start, ")} at end ` +
      `(the machine may be shared: wall times and throughput are only as quiet as it was).`,
    "",
    `S3: the embedded emulator behind a proxy adding ${settings.latencyMs} ms before the first byte of every ` +
      `response and capping each response at ${(settings.bytesPerSecond / 1e6).toFixed(0)} MB/s.` +
      (Object.keys(settings.engineRange).length
        ? ` Engine range options changed for this run: ${JSON.stringify(settings.engineRange)}.`
        : " Engine with its default range options."),
    "",
    "## Targets",
    "",
    table(
      ["Target", "Goal", "Measured", "Met"],
      targets(results).map((t) => [t.name, t.goal, t.actual, t.met ? "yes" : "**no**"]),
    ),
    "",
    "## Large files",
    "",
    largeTable(results),
    "",
    totalsTable(results, "large"),
    "",
    `## ExifTool samples (${results.rows.filter((r) => r.group === "samples" && r.contender === "engine").length} files)`,
    "",
    totalsTable(results, "samples"),
    "",
    ...mismatches(results.rows),
    "## Throughput (small files, 4 in flight)",
    "",
    table(
      ["Contender", "Files", "Files/s"],
      results.throughput.map((t) => [t.contender, String(t.files), t.filesPerSecond.toFixed(1)]),
    ),
    "",
    "## Method",
    "",
    METHOD,
  ];
  return lines.join("\n") + "\n";
}

const METHOD = `- **engine**: this project's Extractor, one warm worker; the worker is started and warmed before the clock starts, a fresh one per file so that its peak memory is that file's.
- **stream**: sequential 8 MiB range requests from byte 0 piped into a new \`exiftool -json -fast -\`, stopped when exiftool exits; bytes are those received.
- **download**: one GetObject of the whole object to a temporary file, then \`exiftool -json FILE\`.
- **Equal**: the contender's JSON against \`exiftool -json FILE\` on the local copy with the contender's own options (\`-fast\` for stream), ignoring SourceFile, Directory, FileName, FileModifyDate, FileAccessDate, FileInodeChangeDate, FilePermissions.
- **Touched**: the union of the byte ranges ExifTool reads when the same worker reads the local file: the floor for any reader.
- **Peak RSS**: VmHWM of the process running ExifTool (/proc/PID/status): for the engine, the Perl worker after the extraction (start-up included); for stream and download, polled every 5 ms while exiftool ran. The Node side (emulator and harness share its process) is not counted.
- **Throughput**: the samples cycled; engine with a pool of 2 warm workers (warmed before timing), stream with a new process per file; both with 4 files in flight (the engine fetches an object's first range while its file waits for a worker).`;

function largeTable(results: Results): string {
  const body: string[][] = [];
  const large = results.rows.filter((r) => r.group === "large");
  for (const file of [...new Set(large.map((r) => r.file))]) {
    const touched = results.touched.find((t) => t.file === file)?.bytesTouched;
    for (const contender of CONTENDERS) {
      const row = large.find((r) => r.file === file && r.contender === contender);
      if (!row) continue;
      const first = contender === CONTENDERS[0];
      body.push([
        first ? file : "",
        first ? bytes(row.size) : "",
        first && touched !== undefined ? bytes(touched) : "",
        contender,
        bytes(row.bytesRead),
        touched ? `${(row.bytesRead / touched).toFixed(2)}×` : "",
        String(row.requests),
        `${Math.round(row.wallMs)} ms`,
        mib(row.peakRssBytes),
        equality(row),
      ]);
    }
  }
  return table(
    [
      "File",
      "Size",
      "Touched",
      "Contender",
      "Bytes read",
      "Read/touched",
      "Requests",
      "Wall",
      "Peak RSS",
      "Equal",
    ],
    body,
  );
}

function totalsTable(results: Results, group: "large" | "samples"): string {
  const touched = results.touched
    .filter((t) => results.rows.some((r) => r.file === t.file && r.group === group))
    .reduce((sum, t) => sum + t.bytesTouched, 0);
  const all = totals(results.rows, group);
  const stream = all.find((t) => t.contender === "stream")!.bytesRead;
  return table(
    [
      "Total",
      "Files",
      "Bytes read",
      "vs stream",
      "vs touched",
      "Requests",
      "Wall",
      "Max peak RSS",
      "Equal",
    ],
    all.map((t) => [
      t.contender,
      String(t.files),
      bytes(t.bytesRead),
      stream ? `${((t.bytesRead / stream) * 100).toFixed(2)}%` : "",
      touched ? `${(t.bytesRead / touched).toFixed(2)}×` : "",
      String(t.requests),
      `${(t.wallMs / 1000).toFixed(1)} s`,
      mib(t.maxPeakRssBytes),
      `${t.equal} / ${t.files}`,
    ]),
  ).concat(`\n\nTouched (lower bound) in total: ${bytes(touched)}.`);
}

/** Differences grouped by contender and tags, since one cause usually explains many files. */
function mismatches(rows: readonly Row[]): string[] {
  const groups = new Map<string, string[]>();
  for (const row of rows.filter((r) => !r.equal)) {
    const why = row.error ? `error: ${row.error}` : `differ in ${(row.differing ?? []).join(", ")}`;
    const id = `${row.contender} ${why}`;
    groups.set(id, [...(groups.get(id) ?? []), row.file]);
  }
  if (!groups.size) return ["Every contender's metadata equals the local reference.", ""];
  return [
    "Not equal to the local reference:",
    "",
    ...[...groups].map(([id, files]) => `- ${id} (${files.length}): ${files.join(", ")}`),
    "",
  ];
}

function equality(row: Row): string {
  if (row.error) return "error";
  return row.equal ? "yes" : `no (${row.differing?.length ?? 0} tags)`;
}

export function table(header: readonly string[], body: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...body.map(line)].join("\n");
}
