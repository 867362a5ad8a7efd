// Every ExifTool sample file, put into S3 and extracted through the engine,
// gives byte for byte what `exiftool -json FILE` prints for that file alone,
// in a new process, but for the lines of the tags that describe a local file
// (SourceFile, Directory, FileModifyDate, FileAccessDate, FileInodeChangeDate,
// FilePermissions). Files go through one warm worker in sorted and in
// reversed order, and in sequences known to leave state behind in a single
// ExifTool process, so no result may depend on what was parsed before it;
// damaged copies (cut short, bytes inverted) take ExifTool's error paths.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Extractor } from "../../function/extractor";
import { CORPUS_DIR } from "../../samples/synthetic";
import {
  bpgWithIcc,
  docxNamingOtherModulesTables,
  iccWithUnsupportedRxyz,
} from "../support/poison-files";
import { comparableLines, exiftoolText, exiftoolTextOfMany } from "../support/local-exiftool";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { requirePerlModules } from "../support/perl-modules";
import { formatModules, preparationSteps } from "../../function/exiftool/format-modules";

const samples = readdirSync(CORPUS_DIR).sort();
const PHOTOS_DIR = join(__dirname, "..", "..", "..", "shared", "corpus", "camera-photos");
const photos = readdirSync(PHOTOS_DIR).sort();
/** How many objects a worker's parent serves before it has loaded all its format modules (one per object). */
const FORMAT_MODULES = formatModules().length;

/** Damaged copies, as uploads can be: cut short, and with bytes inverted (deterministic). */
function mutated(names: string[], files: Map<string, Buffer>): Map<string, Buffer> {
  let seed = 7;
  const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const copies = new Map<string, Buffer>();
  for (const name of names) {
    const data = files.get(name)!;
    copies.set(
      `cut-${name}`,
      data.subarray(0, Math.max(1, Math.floor(data.length * (0.3 + 0.5 * random())))),
    );
    const flipped = Buffer.from(data);
    for (let i = 0; i < 8; i++) flipped[Math.floor(random() * flipped.length)]! ^= 0xff;
    copies.set(`flip-${name}`, flipped);
  }
  return copies;
}
const POISON_BPG = "poison-rXYZ.bpg";
const NAMESPACES_DOCX = "namespaces.docx";

describe("engine output equals a fresh exiftool -json FILE of each file alone", function () {
  this.timeout(600_000);
  let local: LocalS3;
  let dir: string;
  const files = new Map<string, Buffer>();
  /** Reference text per option set and file: one new process per file. */
  const references = new Map<string, Map<string, string>>();

  before(async () => {
    requirePerlModules();
    for (const name of samples) files.set(name, readFileSync(join(CORPUS_DIR, name)));
    files.set(POISON_BPG, bpgWithIcc(iccWithUnsupportedRxyz(files.get("ICC_Profile.icc")!)));
    files.set(NAMESPACES_DOCX, docxNamingOtherModulesTables());
    for (const [name, body] of mutated(
      samples.filter((_, i) => i % 3 === 0),
      files,
    )) {
      files.set(name, body);
    }
    local = await startLocalS3(["corpus"]);
    for (const name of photos) files.set(`photo-${name}`, readFileSync(join(PHOTOS_DIR, name)));
    for (const [name, body] of files) await local.put("corpus", name, body);
    // the reference reads the same bytes under the same names from local disk
    dir = mkdtempSync(join(tmpdir(), "s3-exiftool-equality-"));
    for (const [name, body] of files) writeFileSync(join(dir, name), body);
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await local.stop();
  });

  async function reference(options: string[], name: string): Promise<string> {
    const key = options.join(" ");
    let byName = references.get(key);
    if (!byName) references.set(key, (byName = new Map()));
    let text = byName.get(name);
    if (text === undefined) {
      text = await exiftoolText(join(dir, name), options);
      byName.set(name, text);
    }
    return text;
  }

  /** Extracts `names` in this order through one worker; lists every file whose text differs. */
  async function mismatches(names: string[], options: string[]): Promise<string[]> {
    const extractor = new Extractor({ s3: local.s3, workers: 1, exiftoolOptions: options });
    const found: string[] = [];
    try {
      // references computed ahead of the engine (a few new Perl processes at a time)
      const expected = new Map<string, Promise<string>>();
      for (const name of names) expected.set(name, reference(options, name));
      for (const name of names) {
        const { json } = await extractor.extract({ bucket: "corpus", key: name });
        expect(json.text).to.contain(`"SourceFile": "s3://corpus/${name}"`);
        const actual = comparableLines(json.text);
        const wanted = comparableLines(await expected.get(name)!);
        const at = actual.findIndex((line, i) => line !== wanted[i]);
        if (at >= 0 || actual.length !== wanted.length) {
          const i = at >= 0 ? at : Math.min(actual.length, wanted.length);
          found.push(`${name}: engine ${actual[i]} | fresh exiftool ${wanted[i]}`);
        }
      }
      expect(extractor.pool.spawned).to.equal(1);
    } finally {
      await extractor.close();
    }
    return found;
  }

  it("covers all 194 sample files", () => {
    expect(samples).to.have.length(194);
  });

  for (const options of [[], ["-G1", "-a", "-n"]]) {
    for (const order of ["sorted", "reversed"]) {
      it(`matches for all 194 samples in ${order} order with options [${options.join(" ")}]`, async () => {
        const names = order === "sorted" ? samples : [...samples].reverse();
        const found = await mismatches(names, options);
        expect(found, found.join("\n")).to.deep.equal([]);
      });
    }
  }

  it("matches for all 45 camera photos, in reversed order", async () => {
    expect(photos).to.have.length(45);
    const found = await mismatches(photos.map((name) => `photo-${name}`).reverse(), []);
    expect(found, found.join("\n")).to.deep.equal([]);
  });

  it("matches once the parent has loaded every format module, files in an order unlike the parent's", async () => {
    // the parent loads one format module per object it serves: after these,
    // every child starts from a parent with all of them, compiled in the
    // parent's order, and each file makes its modules' effects in its own
    let seed = 11;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    // the photos (maker notes, HEIC), every third sample and every one read
    // through Archive::Zip (office documents): the order tests above already
    // hold every sample to a fresh process
    const zipped = /\.(docx|ods|numbers|eip|zip)$/;
    const shuffled = [
      ...samples.filter((name, i) => i % 3 === 1 || zipped.test(name)),
      ...photos.map((name) => `photo-${name}`),
    ]
      .map((name) => ({ name, at: random() }))
      .sort((a, b) => a.at - b.at)
      .map(({ name }) => name);
    expect(FORMAT_MODULES).to.be.greaterThan(10);
    // and then in huge pages
    const warmUp = Array.from({ length: preparationSteps() }, () => "ExifTool.jpg");
    const found = await mismatches([...warmUp, ...shuffled], []);
    expect(found, found.join("\n")).to.deep.equal([]);
  });

  it("matches for truncated and bit-flipped samples, ExifTool's error paths included", async () => {
    const names = [...files.keys()].filter((name) => /^(cut|flip)-/.test(name));
    expect(names.length).to.be.greaterThan(100);
    const found = await mismatches(names, []);
    expect(found, found.join("\n")).to.deep.equal([]);
  });

  it("prints an office document's XML namespaces as a new process does, once the parent holds the files whose tables they name", async () => {
    // OOXML.pm tests the table by its name before GetTagTable: the parent's
    // hidden modules must look unloaded to it (worker.pl, conceal)
    const options = ["-G1", "-a"];
    const [, together] = await exiftoolTextOfMany(
      [join(dir, "Google.jpg"), join(dir, NAMESPACES_DOCX)],
      options,
    );
    const fresh = comparableLines(await reference(options, NAMESPACES_DOCX));
    expect(fresh).to.include('  "XML:ProjectionType": "equirectangular"');
    expect(comparableLines(together!), "after Google.jpg, one exiftool process").to.include(
      '  "XMP-GPano:ProjectionType": "equirectangular"',
    );
    const warmUp = Array.from({ length: preparationSteps() }, () => "ExifTool.jpg");
    const found = await mismatches(
      [...warmUp, NAMESPACES_DOCX, "Google.jpg", "Panasonic.rw2", "PLUS.xmp", NAMESPACES_DOCX],
      options,
    );
    expect(found, found.join("\n")).to.deep.equal([]);
  });

  // Each pair leaves state behind in one ExifTool process: the first file
  // changes what the second prints (shown below with plain exiftool).
  const poisoned: [string, string][] = [
    ["Canon.jpg", "AAC.aac"],
    ["Nikon.jpg", "XMP.xml"],
    [POISON_BPG, "ICC_Profile.icc"],
  ];
  for (const [first, second] of poisoned) {
    it(`extracts ${second} after ${first} as a fresh process would`, async () => {
      const [, together] = await exiftoolTextOfMany([join(dir, first), join(dir, second)]);
      expect(
        comparableLines(together!),
        "one exiftool process carries state from the first file",
      ).to.not.deep.equal(comparableLines(await reference([], second)));
      const found = await mismatches([first, second, first, second], []);
      expect(found, found.join("\n")).to.deep.equal([]);
    });
  }
});
