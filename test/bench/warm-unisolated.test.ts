import { expect } from "chai";
import { join } from "node:path";
import { CORPUS_DIR } from "../../bench/corpus";
import { localExiftool } from "../../bench/reference";
import { StayOpenExiftool } from "../../bench/stay-open-exiftool";
import {
  checkAgainstFresh,
  interleaved,
  warmUnisolatedRunner,
  type Printed,
} from "../../bench/throughput";
import { jsonEntries } from "../../bench/exiftool-process";

const sample = (name: string): string => join(CORPUS_DIR, name);
const fresh = async (path: string): Promise<Record<string, unknown>> =>
  [...(await localExiftool([path])).values()][0];

describe("bench: warm-unisolated contender", () => {
  it("runs file after file in one exiftool -stay_open, and the fresh check sees the state it keeps", async () => {
    // issue 10: AAC.aac read after Canon.jpg in the same process decodes with
    // the byte order Canon.jpg left
    const exiftool = new StayOpenExiftool();
    const printed: Printed[] = [];
    try {
      for (const name of ["Canon.jpg", "AAC.aac"]) {
        const text = await exiftool.json(sample(name));
        printed.push({ path: sample(name), metadata: () => jsonEntries(text)[0] });
      }
    } finally {
      await exiftool.close();
    }
    expect(printed[0].metadata().FileName).to.equal("Canon.jpg");
    const check = await checkAgainstFresh(printed, fresh);
    expect(check.checked).to.equal(2);
    expect(check.differing).to.equal(1);
    expect(check.files.map((f) => f.file)).to.deep.equal(["AAC.aac"]);
    expect(check.files[0].tags).to.include.members(["ProfileType", "Channels"]);
  });

  it("runs a lane through its warm processes and keeps every file's output", async () => {
    const names = ["ExifTool.jpg", "Nikon.jpg", "XMP.xml", "PNG.png", "GIF.gif", "AAC.aac"];
    const files = names.map((name) => ({
      ref: { bucket: "unused", key: name },
      path: sample(name),
    }));
    const lane = { corpus: "samples" as const, files, s3Pid: -1 };
    const runner = await warmUnisolatedRunner(lane);
    try {
      const [throughput] = await interleaved(lane, [runner], 2);
      expect(throughput.contender).to.equal("warm-unisolated");
      expect(throughput.files).to.equal(names.length);
      expect(throughput.perFile.requests).to.equal(0);
      expect(throughput.perFile.workerMs).to.be.a("number");
    } finally {
      await runner.close();
    }
    const printed = runner.printed!.map((p) => String(p.metadata().FileName));
    expect(printed.sort()).to.deep.equal([...names].sort());
  });
});
