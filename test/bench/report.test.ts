import { expect } from "chai";
import { renderMarkdown } from "../../bench/report/markdown";
import { axisLabel, renderSvg } from "../../bench/report/svg";
import { targets, type Results, type Row } from "../../bench/results";

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
    { contender: "engine", files: 50, filesPerSecond: 40 },
    { contender: "stream", files: 50, filesPerSecond: 10 },
  ],
};

describe("bench: targets and reports", () => {
  it("works out each target from the rows", () => {
    const [share, bound, speed, memory] = targets(results);
    expect(share.met).to.equal(true); // 200 kB of 1 GiB + 1 MiB
    expect(bound.met).to.equal(false);
    expect(bound.actual).to.contain("over: big.m4a");
    expect(speed.actual).to.match(/^4\.0×/);
    expect(speed.met).to.equal(false);
    expect(memory.met).to.equal(false); // +50%
    expect(memory.actual).to.match(/^\+50\.0%/);
  });

  it("renders the machine, the targets and one table row per file and contender", () => {
    const markdown = renderMarkdown(results);
    expect(markdown).to.contain("Test CPU, 2 cores");
    expect(markdown).to.contain("| Small files: engine files/s ÷ stream files/s | ≥ 10× | 4.0×");
    expect(markdown).to.contain("| big.m4a | 1.00 GiB | 1000 B | engine | 97.7 KiB | 100.00× |");
    expect(markdown).to.contain("- stream differ in FileSize (2): small.m4a, big.m4a");
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
