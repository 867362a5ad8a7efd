// bench/results/latest.md: the targets, the per-file table of the large
// files, totals for the samples, throughput, the machine and the method.
import {
  bytes,
  CONTENDERS,
  isolationCosts,
  LOCAL_CONTENDERS,
  mib,
  percent,
  targets,
  totals,
  type Results,
  type Row,
} from "../results";
import { costRows, MEMORY_MB, PRICES, requestCostRows, type RequestCostRow } from "./cost";

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
    "## Throughput (4 in flight)",
    "",
    throughputTable(results),
    "",
    THROUGHPUT_NOTE,
    "",
    "## What isolation costs",
    "",
    isolationTable(results),
    "",
    ISOLATION_NOTE,
    "",
    ...breakdownSection(results),
    ...freshChecks(results),
    "## Camera photos: GETs per photo",
    "",
    ...photoSection(results),
    "## Cold start",
    "",
    ...coldStartSection(results),
    `## Cost per million objects (${MEMORY_MB} MB arm64, ${PRICES.region}, prices of ${PRICES.date})`,
    "",
    costTable(results),
    "",
    COST_NOTE,
    "",
    "### Every other request a million objects cause (batchSize 10, the stack's default)",
    "",
    ...requestTables(),
    REQUESTS_NOTE,
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
- **Peak RSS**: VmHWM of the process running ExifTool (/proc/PID/status): for the engine, the Perl worker after the extraction (start-up included); for stream and download, polled every 5 ms while exiftool ran. The Node side is not counted.
- **Throughput**: the samples cycled, then the camera photos twice; engine with a pool of 2 warm workers (warmed before timing), ceiling with the same pool reading the local files, warm-unisolated with 2 warm \`exiftool -stay_open\` processes reading the local files (no fork per file: not isolated), stream and download with a new process per file; all with 4 files in flight (the engine fetches an object's first range while its file waits for a worker). The S3 emulator and proxy run in a process of their own.
- **Photos**: each camera photo read alone by the engine with its size announced as its S3 event would; objects up to the whole-object size come in one GET.
- **Cold start**: a new Node process loads dist/function/handler.js with the stack's function environment and AWS_LAMBDA_FUNCTION_NAME set (so the handler and the first worker are built at load, as in Lambda's init phase), then is invoked with one message for ExifTool.jpg until the result is stored.`;

const THROUGHPUT_NOTE = `Per file: *queued* waits for a free worker, *worker* holds one (command sent to output complete), *S3 wait* is the part of it with a GET in flight; the rest of *worker* is ExifTool parsing and Node answering its reads. CPU per file is this Node process, the ExifTool processes, and the S3 emulator's process. With 2 workers, files/s ≈ 2000 / worker ms.`;

const COST_NOTE = `Lambda GB-seconds = memory × seconds per object: for photos, 1 ÷ the photo lane's files/s (4 in flight on one instance); for large videos, the mean wall time of one 1 GiB QuickTime file read alone. GETs per object as measured (the stream design's 8 MiB ranges, the download's one GET). The requests that are the same for every design (invocations, the result's write, SQS, EventBridge) are in the next table. This machine's 2 cores are not a Lambda's ${MEMORY_MB} MB (about 0.6 vCPU): read the ratios, not the absolute dollars.`;

const REQUESTS_NOTE = `Per million new objects. Idle polling (empty receives while the queue is empty) depends on time, not objects, and is left out, as are storage (a result object, or an annotation, is billed per GB-month at S3 Standard) and Athena (per TB scanned). A removal, with results kept as objects, costs one more message, a share of an invocation and a free DELETE. Where AWS publishes no price the row says so and its dollars stay out of the total.`;

function requestTables(): string[] {
  const usd = (value: number | undefined): string =>
    value === undefined ? "no price found" : `$${value.toFixed(2)}`;
  const lines: string[] = [];
  for (const resultDestination of ["bucket", "annotation", "both"] as const) {
    const rows: RequestCostRow[] = requestCostRows({
      resultDestination,
      batchSize: 10,
      enableEventBridge: true,
      s3Metadata: resultDestination !== "bucket",
    });
    const total = rows.reduce((sum, r) => sum + (r.usd ?? 0), 0);
    lines.push(
      `resultDestination: ${resultDestination}, EventBridge on${resultDestination === "bucket" ? "" : ", S3 Metadata on"}:`,
      "",
      table(
        ["Request", "Per million objects", "Price per million", "Cost", "Price source"],
        [
          ...rows.map((r) => [
            r.item,
            Math.round(r.requestsPerMillion).toLocaleString("en-US"),
            usd(r.price.usdPerMillion),
            usd(r.usd),
            r.price.source,
          ]),
          ["Total (published prices only)", "", "", usd(total), ""],
        ],
      ),
      "",
    );
  }
  return lines;
}

const ISOLATION_NOTE = `Ceiling and warm-unisolated read the same local files with the same 2 workers and 4 files in flight. The ceiling is the engine's worker: a preloaded Perl parent forks a fresh ExifTool per object, which reads through Node. Warm-unisolated is the design before isolation: every file in one \`exiftool -stay_open\` process per worker, reading the file itself. Their ratio is what isolation costs on this machine, reads through Node included; warm-unisolated's output may depend on the files before it (below).`;

function isolationTable(results: Results): string {
  const rate = (value: number): string => (value ? value.toFixed(1) : "–");
  const ratio = (value: number): string => (value ? `${value.toFixed(2)}×` : "–");
  return table(
    [
      "Files",
      "Engine",
      "Ceiling",
      "Warm-unisolated",
      "Stream",
      "Isolation: ceiling ÷ warm-unisolated",
      "Engine ÷ ceiling",
      "Engine ÷ warm-unisolated",
      "Engine ÷ stream",
      "ExifTool CPU/file: engine ÷ warm-unisolated",
    ],
    isolationCosts(results).map((c) => [
      `${c.corpus} (${c.files})`,
      rate(c.engine),
      rate(c.ceiling),
      rate(c.warmUnisolated),
      rate(c.stream),
      ratio(c.isolation),
      ratio(c.engineOfCeiling),
      ratio(c.engineOfWarm),
      ratio(c.engineOverStream),
      ratio(c.cpuEngineOfWarm),
    ]),
  );
}

const BREAKDOWN_NOTE = `The engine's ExifTool CPU per object by phase, from process CPU clocks in its workers (\`bench/WorkerBreakdown.pm\` around the unchanged worker.pl): in the parent, *fork* (copying its page tables) and the rest of its work per object (the command, waitpid, the side channel's resync); in the child, *setup* (fork to ImageInfo: the application's start and options), *ImageInfo* (reading the object, loading its format's modules, the parse), *output* (the JSON printed and flushed, END blocks) and *exit* (the kernel's teardown after POSIX::_exit). Warm-unisolated's whole CPU per file is the limit. A child's peak RSS (VmHWM) counts the parent's pages it shares.`;

function breakdownSection(results: Results): string[] {
  const lanes = results.throughput.filter((t) => t.breakdown?.objects);
  if (!lanes.length) return [];
  const warm = (corpus: string): string => {
    const t = results.throughput.find(
      (w) => w.corpus === corpus && w.contender === "warm-unisolated",
    );
    return t ? ms(t.cpuMsPerFile.exiftoolMs) : "";
  };
  return [
    "### Where the engine's ExifTool CPU goes",
    "",
    table(
      [
        "Files",
        "Objects",
        "Fork",
        "Parent, rest",
        "Setup",
        "ImageInfo",
        "Output",
        "Exit",
        "Sum",
        "Warm-unisolated, all",
        "Child peak RSS",
      ],
      lanes.map(({ corpus, breakdown: b }) => [
        corpus,
        String(b!.objects),
        ms(b!.forkMs),
        ms(b!.parentMs),
        ms(b!.setupMs),
        ms(b!.imageInfoMs),
        ms(b!.outputMs),
        ms(b!.exitMs),
        ms(b!.forkMs + b!.parentMs + b!.setupMs + b!.imageInfoMs + b!.outputMs + b!.exitMs),
        warm(corpus),
        `${(b!.childPeakKiB / 1024).toFixed(1)} MiB`,
      ]),
    ),
    "",
    BREAKDOWN_NOTE,
    "",
  ];
}

/**
 * Each lane's outputs, in the order they ran, against a fresh exiftool per
 * file: a difference is a mismatch for the isolated contenders, and the
 * expected price of sharing a process for warm-unisolated.
 */
function freshChecks(results: Results): string[] {
  const checked = results.throughput.filter((t) => t.fresh);
  if (!checked.length) return [];
  return [
    "Each lane's outputs, in the order they ran, against a fresh `exiftool -json FILE` of the same file:",
    "",
    ...checked.map(({ corpus, contender, fresh }) => {
      const { checked: n, differing, files } = fresh!;
      const label =
        contender === "warm-unisolated"
          ? "not isolated, output may depend on order (not counted as a mismatch)"
          : "isolated";
      const which = files.map((f) => `${f.file} (${f.tags.join(", ")})`).join("; ");
      const verdict = contender !== "warm-unisolated" && differing ? "**mismatch**: " : "";
      return `- ${corpus} ${contender}, ${label}: ${n - differing} of ${n} equal${differing ? `; ${verdict}${which}` : ""}`;
    }),
    "",
  ];
}

function ms(value: number | undefined): string {
  return value === undefined ? "" : `${value.toFixed(1)} ms`;
}

function throughputTable(results: Results): string {
  const ceiling = (corpus: string): number =>
    results.throughput.find((t) => t.corpus === corpus && t.contender === "ceiling")
      ?.filesPerSecond ?? 0;
  return table(
    [
      "Files",
      "Contender",
      "Files/s",
      "vs ceiling",
      "GETs/file",
      "Bytes/file",
      "Queued",
      "Worker",
      "S3 wait",
      "CPU Node / ExifTool / S3 per file",
    ],
    results.throughput.map((t) => {
      const top = ceiling(t.corpus);
      const cpu = t.cpuMsPerFile;
      return [
        `${t.corpus} (${t.files})`,
        t.contender,
        t.filesPerSecond.toFixed(1),
        top ? percent(t.filesPerSecond / top) : "",
        LOCAL_CONTENDERS.includes(t.contender) ? "(disk)" : t.perFile.requests.toFixed(2),
        // ExifTool -stay_open reads the file itself: nothing counts its bytes
        t.contender === "warm-unisolated" ? "–" : bytes(Math.round(t.perFile.bytesRead)),
        ms(t.perFile.queuedMs),
        ms(t.perFile.workerMs),
        ms(t.perFile.s3WaitMs),
        `${cpu.nodeMs.toFixed(1)} / ${cpu.exiftoolMs.toFixed(1)} / ${cpu.s3Ms.toFixed(1)} ms`,
      ];
    }),
  );
}

function photoSection(results: Results): string[] {
  const photos = results.photos;
  if (!photos.length) return ["Not measured in this run.", ""];
  const counts = new Map<number, number>();
  for (const p of photos) counts.set(p.requests, (counts.get(p.requests) ?? 0) + 1);
  const histogram = [...counts]
    .sort(([a], [b]) => a - b)
    .map(([gets, n]) => `${gets} GET${gets > 1 ? "s" : ""}: ${n} (${percent(n / photos.length)})`)
    .join("; ");
  const reachEnd = photos.filter((p) => p.touchedRanges.at(-1)?.[1] === p.size).length;
  return [
    `${photos.length} photos, ${bytes(photos.reduce((s, p) => s + p.size, 0))} in all. ${histogram}.`,
    "",
    `ExifTool touches the last bytes of ${reachEnd} of the ${photos.length} photos (its trailer check), after a head of a few KiB to a few hundred: only a GET of the whole object spares the second round trip, so objects announced at or under the whole-object size are read whole.`,
    "",
    table(
      ["Photo", "Size", "Touched ranges", "GETs", "Bytes read", "Wall"],
      photos.map((p) => [
        p.file,
        bytes(p.size),
        p.touchedRanges.map(([a, b]) => `${a}–${b}`).join(", "),
        String(p.requests),
        bytes(p.bytesRead),
        `${Math.round(p.wallMs)} ms`,
      ]),
    ),
    "",
  ];
}

function coldStartSection(results: Results): string[] {
  const c = results.coldStart;
  if (!c) return ["Not measured in this run.", ""];
  return [
    table(
      [
        "Node boot",
        "Bundle load and init",
        "First invocation to stored result",
        "Total",
        "Worker start (apart)",
        "Its first parse",
        "Its second parse",
        "First ten parses",
        `Ten after its ${c.formatModules} preloaded files and huge pages`,
        "Parent CPU meanwhile",
      ],
      [
        [
          ms(c.nodeBootMs),
          ms(c.initMs),
          ms(c.firstResultMs),
          ms(c.totalMs),
          ms(c.workerReadyMs),
          ms(c.firstParseMs),
          ms(c.warmParseMs),
          ms(c.firstTenMs),
          ms(c.lastTenMs),
          ms(c.parentCpuMs),
        ],
      ],
    ),
    "",
    "The first worker starts during the bundle's load (Lambda's init phase) and gets ready while the first invocation fetches its object. The first invocation also pays for the SDK's first request (a new connection). Each parse is a fresh child of the worker's parent. The parent starts with what every `exiftool -json` process loads, and takes one preparation step per object, right after the object's result (or while the next object's child runs, if that object already waits): each of its preloaded files (format modules such as maker notes and QuickTime, XMP2.pl's namespaces, Archive::Zip), hidden from the children until their file needs it, then huge pages for its memory. No object waits for all of them, the first ones each wait for one step at most; the parent's CPU meanwhile is what the steps cost in all. Parses of one camera JPEG (ExifTool.jpg, Canon maker notes), one after another, wall time.",
    "",
  ];
}

function costTable(results: Results): string {
  const usd = (value: number): string => `$${value.toFixed(2)}`;
  return table(
    [
      "Mix",
      "Design",
      "Seconds/object",
      "GB-s per million",
      "Lambda",
      "GETs per million",
      "S3 GETs",
      "Total",
    ],
    costRows(results).map((r) => [
      r.mix,
      r.contender,
      r.secondsPerObject.toFixed(3),
      Math.round(r.gbSecondsPerMillion).toLocaleString("en-US"),
      usd(r.lambdaUsd),
      Math.round(r.getsPerMillion).toLocaleString("en-US"),
      usd(r.s3Usd),
      usd(r.lambdaUsd + r.s3Usd),
    ]),
  );
}

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
