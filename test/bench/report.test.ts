import { expect } from "chai";
import { renderMarkdown } from "../../bench/report/markdown";
import { axisLabel, renderSvg } from "../../bench/report/svg";
import { costRows, REQUEST_PRICES, requestCostRows } from "../../bench/report/cost";
import {
  isolationCosts,
  targets,
  type Results,
  type Row,
  type Throughput,
} from "../../bench/results";

const MiB = 1024 * 1024;

function row(
  file: string,
  contender: Row["contender"],
  bytesRead: number,
  extra: Partial<Row> = {},
): Row {
  return {
    file,
    group: "large",
    size: 1024 * MiB,
    contender,
    bytesRead,
    requests: 2,
    wallMs: 10,
    peakRssBytes: 20 * MiB,
    equal: true,
    ...extra,
  };
}

const results: Results = {
  machine: {
    cpu: "Test CPU",
    cores: 2,
    memoryBytes: 4 * 1024 * MiB,
    os: "Linux",
    node: "v20",
    perl: "v5.36.0",
    exiftool: "13.59",
    date: "2026-01-01T00:00:00.000Z",
    loadAverage: [0.1, 0.2],
  },
  settings: {
    mode: "quick",
    latencyMs: 20,
    bytesPerSecond: 80e6,
    engineRange: {},
    rssPair: ["small.m4a", "big.m4a"],
  },
  rows: [
    row("small.m4a", "engine", 50_000, { size: MiB }),
    row("small.m4a", "stream", MiB, { size: MiB, equal: false, differing: ["FileSize"] }),
    row("small.m4a", "download", MiB, { size: MiB }),
    row("big.m4a", "engine", 100_000, { peakRssBytes: 30 * MiB }),
    row("big.m4a", "stream", 1024 * MiB, { equal: false, differing: ["FileSize"] }),
    row("big.m4a", "download", 1024 * MiB),
  ],
  touched: [
    { file: "small.m4a", bytesTouched: 10_000 },
    { file: "big.m4a", bytesTouched: 1_000 },
  ],
  throughput: [
    lane("samples", "engine", 40, 1),
    lane("samples", "ceiling", 50, 3, { checked: 50, differing: 0, files: [] }),
    lane("samples", "warm-unisolated", 125, 0, {
      checked: 50,
      differing: 2,
      files: [{ file: "AAC.aac", tags: ["Channels", "ProfileType"] }],
    }),
    lane("samples", "stream", 10, 1),
    lane("photos", "engine", 20, 1.5),
    lane("photos", "download", 5, 1),
  ],
  photos: [
    photo("a.jpg", 1, [
      [0, 9000],
      [MiB - 64, MiB],
    ]),
    photo("b.jpg", 1, [
      [0, 9000],
      [MiB - 64, MiB],
    ]),
    photo("c.jpg", 2, [[0, 9000]]),
  ],
  coldStart: {
    nodeBootMs: 40,
    initMs: 120,
    firstResultMs: 80,
    totalMs: 240,
    workerReadyMs: 150,
    firstParseMs: 90,
    warmParseMs: 10,
    firstTenMs: 400,
    lastTenMs: 300,
    formatModules: 20,
    parentCpuMs: 450,
  },
};

function lane(
  corpus: Throughput["corpus"],
  contender: Throughput["contender"],
  filesPerSecond: number,
  requests: number,
  fresh?: Throughput["fresh"],
): Throughput {
  return {
    corpus,
    contender,
    files: 50,
    filesPerSecond,
    cpuMsPerFile: { nodeMs: 2, exiftoolMs: 10, s3Ms: 1 },
    perFile: { requests, bytesRead: 10_000 },
    ...(fresh ? { fresh } : {}),
  };
}

function photo(
  file: string,
  requests: number,
  touchedRanges: [number, number][],
): Results["photos"][number] {
  return { file, size: MiB, requests, bytesRead: MiB, wallMs: 30, touchedRanges };
}

describe("bench: targets and reports", () => {
  it("works out each target from the rows", () => {
    const [share, bound, speed, ofCeiling, oneGet, memory] = targets(results);
    expect(share.met).to.equal(true); // 200 kB of 1 GiB + 1 MiB
    expect(bound.met).to.equal(false);
    expect(bound.actual).to.contain("over: big.m4a");
    expect(speed.actual).to.match(/^4\.0×/);
    expect(speed.met).to.equal(false);
    expect(ofCeiling.actual).to.match(/^80\.0%/);
    expect(ofCeiling.met).to.equal(true);
    expect(oneGet.actual).to.equal("66.7%");
    expect(oneGet.met).to.equal(false);
    expect(memory.met).to.equal(false); // +50%
    expect(memory.actual).to.match(/^\+50\.0%/);
  });

  it("renders the machine, the targets and one table row per file and contender", () => {
    const markdown = renderMarkdown(results);
    expect(markdown).to.contain("Test CPU, 2 cores");
    expect(markdown).to.contain("| Small files: engine files/s ÷ stream files/s | ≥ 10× | 4.0×");
    expect(markdown).to.contain("| big.m4a | 1.00 GiB | 1000 B | engine | 97.7 KiB | 100.00× |");
    expect(markdown).to.contain("- stream differ in FileSize (2): small.m4a, big.m4a");
    expect(markdown).to.contain("| samples (50) | engine | 40.0 | 80.0% |");
    expect(markdown).to.contain("1 GET: 2 (66.7%); 2 GETs: 1 (33.3%)");
    expect(markdown).to.contain("last bytes of 2 of the 3 photos");
    expect(markdown).to.contain(
      "| 40.0 ms | 120.0 ms | 80.0 ms | 240.0 ms | 150.0 ms | 90.0 ms | 10.0 ms | 400.0 ms | 300.0 ms | 450.0 ms |",
    );
    expect(markdown).to.contain("| Ten after its 20 preloaded files and huge pages |");
  });

  it("works out what isolation costs per lane, and leaves out what a lane did not run", () => {
    const [samples, photos] = isolationCosts(results);
    expect(samples.corpus).to.equal("samples");
    expect(samples.isolation).to.equal(50 / 125);
    expect(samples.engineOfCeiling).to.equal(40 / 50);
    expect(samples.engineOfWarm).to.equal(40 / 125);
    expect(samples.engineOverStream).to.equal(4);
    expect(photos.corpus).to.equal("photos");
    expect(photos.isolation).to.equal(0);
    expect(photos.engineOverStream).to.equal(0);
  });

  it("reports isolation's cost, and warm-unisolated's order-dependent outputs apart from mismatches", () => {
    const markdown = renderMarkdown(results);
    expect(markdown).to.contain(
      "| samples (50) | 40.0 | 50.0 | 125.0 | 10.0 | 0.40× | 0.80× | 0.32× | 4.00× |",
    );
    expect(markdown).to.contain("| photos (50) | 20.0 | – | – | – | – | – | – | – |");
    expect(markdown).to.contain("| samples (50) | warm-unisolated | 125.0 | 250.0% | (disk) | – |");
    expect(markdown).to.contain(
      "- samples warm-unisolated, not isolated, output may depend on order (not counted as a mismatch): 48 of 50 equal; AAC.aac (Channels, ProfileType)",
    );
    expect(markdown).to.contain("- samples ceiling, isolated: 50 of 50 equal\n");
    expect(markdown).not.to.contain("**mismatch**");
    const ceilingDiffers = lane("samples", "ceiling", 50, 3, {
      checked: 50,
      differing: 1,
      files: [{ file: "XMP.xml", tags: ["Composite:AutoFocus"] }],
    });
    expect(renderMarkdown({ ...results, throughput: [ceilingDiffers] })).to.contain(
      "- samples ceiling, isolated: 49 of 50 equal; **mismatch**: XMP.xml (Composite:AutoFocus)",
    );
  });

  it("sets the engine's ExifTool CPU beside warm-unisolated's, with its breakdown by phase", () => {
    const engine = lane("samples", "engine", 40, 1);
    engine.cpuMsPerFile.exiftoolMs = 25;
    engine.breakdown = {
      objects: 50,
      forkMs: 1,
      parentMs: 0.5,
      setupMs: 2,
      imageInfoMs: 18,
      outputMs: 1.5,
      exitMs: 2,
      childPeakKiB: 40960,
    };
    const throughput = [engine, lane("samples", "warm-unisolated", 125, 0)];
    const [samples] = isolationCosts({ ...results, throughput });
    expect(samples.cpuEngineOfWarm).to.equal(2.5);
    const markdown = renderMarkdown({ ...results, throughput });
    expect(markdown).to.contain("| 0.32× | – | 2.50× |");
    expect(markdown).to.contain(
      "| samples | 50 | 1.0 ms | 0.5 ms | 2.0 ms | 18.0 ms | 1.5 ms | 2.0 ms | 25.0 ms | 10.0 ms | 40.0 MiB |",
    );
    expect(renderMarkdown(results)).not.to.contain("Where the engine's ExifTool CPU goes");
  });

  it("prices a million objects from the lanes' files/s and the videos' wall times", () => {
    const rows = costRows(results);
    const engine = rows.find((r) => r.mix === "photos" && r.contender === "engine")!;
    // 1 GB for 1/20 s per object; 1.5 GETs per object
    expect(engine.gbSecondsPerMillion).to.be.closeTo(50_000, 1e-6);
    expect(engine.lambdaUsd).to.be.closeTo(50_000 * 0.0000133334, 1e-9);
    expect(engine.s3Usd).to.be.closeTo(1.5 * 0.4, 1e-9);
    // no stream lane on photos, and no 1 GiB video in these rows: nothing invented
    expect(rows.map((r) => `${r.mix} ${r.contender}`)).to.deep.equal([
      "photos engine",
      "photos download",
    ]);
  });

  it("counts every request a million objects cause, per destination, pricing only what AWS publishes", () => {
    const of = (destination: "bucket" | "annotation" | "both", extra = {}) =>
      requestCostRows({
        resultDestination: destination,
        batchSize: 10,
        enableEventBridge: false,
        s3Metadata: false,
        ...extra,
      });
    const bucket = of("bucket");
    expect(bucket.map((r) => [r.item, r.requestsPerMillion])).to.deep.equal([
      ["SQS SendMessage (S3 notification)", 1e6],
      ["SQS ReceiveMessage (one per batch)", 1e5],
      ["SQS DeleteMessageBatch (one per batch)", 1e5],
      ["Lambda invocations (one per batch)", 1e5],
      ["Result HEAD (is an earlier result ours?)", 1e6],
      ["Result PUT", 1e6],
    ]);
    // $0.40 × 1.2 million SQS requests, $0.20 × 0.1 million invocations, $0.40 HEADs, $5 PUTs
    expect(bucket.reduce((sum, r) => sum + r.usd!, 0)).to.be.closeTo(0.48 + 0.02 + 0.4 + 5, 1e-9);
    const annotation = of("annotation").map((r) => r.item);
    expect(annotation).to.include("PutObjectAnnotation").and.not.include("Result PUT");
    expect(of("both").map((r) => r.item)).to.include.members(["PutObjectAnnotation", "Result PUT"]);
    // a larger batch means fewer receives and invocations, never fewer notifications
    const big = of("bucket", { batchSize: 100 });
    expect(big.find((r) => r.item.startsWith("Lambda"))!.requestsPerMillion).to.equal(1e4);
    expect(big[0]!.requestsPerMillion).to.equal(1e6);
    const all = of("both", { enableEventBridge: true, s3Metadata: true });
    expect(all.find((r) => r.item === "EventBridge events")!.usd).to.equal(1);
    // S3 Metadata's charges: no price was found, so no dollars are invented
    const tables = all.find((r) => r.item.startsWith("S3 Metadata"))!;
    expect(tables.usd).to.equal(undefined);
    expect(tables.price.source).to.match(/^no price found/);
    for (const price of Object.values(REQUEST_PRICES)) {
      expect(price.source).to.match(/aws\.amazon\.com\/[a-z0-9]+\/pricing/);
      expect(price.source).to.match(/as of \d{4}-\d{2}-\d{2}|^no price found/);
    }
    expect(renderMarkdown(results)).to.contain(
      "| S3 Metadata journal and annotation table updates | 1,000,000 | no price found | no price found |",
    );
  });

  it("draws three bars and a touched mark per file on a log axis", () => {
    const svg = renderSvg(results);
    expect(svg.match(/<rect x=/g)).to.have.length(6 + 3); // bars + legend swatches
    expect(svg.match(/stroke-width="2"/g)).to.have.length(2);
    expect(svg).to.contain(">1 GB<");
    expect(axisLabel(3)).to.equal("1 kB");
    expect(axisLabel(7)).to.equal("10 MB");
  });
});
