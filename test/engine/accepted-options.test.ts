// Every form the option allow-list accepts works: run through real workers
// over objects in the S3 emulator, each answers within the extraction's own
// deadline with one JSON object describing the object. And a command exiftool
// rejects fails at once, typed, and the worker serves the next object.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { OBJECT_PATH, WorkerError } from "../../function/exiftool/exiftool-worker";
import { validateExiftoolOptions } from "../../function/exiftool/options";
import { Extractor, splitKey } from "../../function/extractor";
import { S3RangeSource } from "../../function/ranges/s3-range-source";
import { CORPUS_DIR } from "../../samples/synthetic";
import { acceptedForms, commandsWithEveryForm, coverageGaps } from "../support/accepted-options";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const BUCKET = "options";
const SAMPLES = ["ExifTool.jpg", "PNG.png", "QuickTime.mov"];
const TIMEOUT_MS = 5_000;

describe("every accepted exiftool option", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let extractor: Extractor;

  before(async () => {
    local = await startLocalS3([BUCKET]);
    for (const name of SAMPLES) await local.put(BUCKET, name, readFileSync(join(CORPUS_DIR, name)));
    extractor = new Extractor({ s3: local.s3, workers: 2 });
  });
  after(async () => {
    await extractor.close();
    await local.stop();
  });

  /**
   * What Extractor.extract does, with per-call options: one pool serves
   * every form, as a warm function serves every object.
   */
  async function extractWith(args: readonly string[], key: string) {
    const source = new S3RangeSource(local.s3, { bucket: BUCKET, key });
    const { directory, fileName } = splitKey({ bucket: BUCKET, key });
    const output = await extractor.pool.run((worker) =>
      worker.extract({ source, directory, fileName, args, timeoutMs: TIMEOUT_MS }),
    );
    if (!output.json) throw new Error(`no JSON (${String(output.sourceError)})`);
    return output.json.withSourceFile(OBJECT_PATH, source.uri).value;
  }

  it("has samples for every entry of the allow-list's tables", () => {
    expect(coverageGaps()).to.deep.equal([]);
  });

  it("accepts each form, and each command of them, unchanged", () => {
    for (const { args } of acceptedForms())
      expect(validateExiftoolOptions(args)).to.deep.equal(args);
    const commands = commandsWithEveryForm();
    for (const command of commands) expect(validateExiftoolOptions(command)).to.deep.equal(command);
    expect(commands.flat()).to.have.length(acceptedForms().flatMap(({ args }) => args).length);
  });

  it("answers each command of them over a JPEG, a PNG and a QuickTime movie within the deadline", async () => {
    const commands = commandsWithEveryForm();
    const failures: string[] = [];
    let answered = 0;
    await Promise.all(
      commands.flatMap((args) =>
        SAMPLES.map(async (key) => {
          try {
            const json = await extractWith(args, key);
            if (json.SourceFile === `s3://${BUCKET}/${key}`) answered++;
            else
              failures.push(
                `${JSON.stringify(args)} ${key}: SourceFile ${String(json.SourceFile)}`,
              );
          } catch (error) {
            failures.push(`${JSON.stringify(args)} ${key}: ${(error as Error).message}`);
          }
        }),
      ),
    );
    expect(failures).to.deep.equal([]);
    expect(answered).to.equal(commands.length * SAMPLES.length);
  });

  it("shows each option family's effect on a JPEG: a flag, a tag request, -x, -d, -api, -lang", async () => {
    const plain = await extractWith([], "ExifTool.jpg");
    expect(plain).to.include({
      Orientation: "Horizontal (normal)",
      Artist: "Phil Harvey",
      Flash: "Fired",
    });
    const effects: [string[], (json: Record<string, unknown>) => void][] = [
      [["-n"], (json) => expect(json.Orientation).to.equal(1)],
      [
        ["-Artist"],
        (json) => expect(Object.keys(json).sort()).to.deep.equal(["Artist", "SourceFile"]),
      ],
      [["-x", "Artist"], (json) => expect(json).to.not.have.property("Artist")],
      [["-d", "%s"], (json) => expect(String(json.ModifyDate)).to.match(/^\d+$/)],
      [["-api", "ByteUnit=Binary"], (json) => expect(json.FileSize).to.match(/ KiB$/)],
      [["-lang", "de"], (json) => expect(json.Flash).to.equal("Blitz wurde ausgelöst")],
    ];
    for (const [args, effect] of effects) {
      const json = await extractWith(args, "ExifTool.jpg");
      expect(json.SourceFile, args.join(" ")).to.equal(`s3://${BUCKET}/ExifTool.jpg`);
      try {
        effect(json);
      } catch (error) {
        throw new Error(`${args.join(" ")}: ${(error as Error).message}`);
      }
    }
  });

  /** The failure of one extraction that is expected to fail. */
  async function failureOf(args: string[]): Promise<WorkerError> {
    try {
      await extractWith(args, "ExifTool.jpg");
    } catch (error) {
      expect(error).to.be.instanceOf(WorkerError);
      return error as WorkerError;
    }
    throw new Error(`${JSON.stringify(args)} was not rejected`);
  }

  // these bypass the allow-list, which refuses them
  const rejected: [string[], string][] = [
    [["-lang", "xx"], "Invalid or unsupported language 'xx'"],
    // exiftool names the value as it reads it: lower case, "_" for "-"
    [["-lang", "zz-ZZZZ"], "Invalid or unsupported language 'zz_zzzz'"],
    [["-lang", "de-DEUX"], "Invalid or unsupported language 'de_deux'"],
    [["-x", "all"], "All tags excluded -- nothing to do."],
  ];
  for (const [args, said] of rejected) {
    it(`fails ${JSON.stringify(args)}, which exiftool rejects, at once and serves the next object`, async () => {
      const { kind, retryable, message } = await failureOf(args);
      // within the job's 5 s deadline, or it would be a Timeout
      expect(kind).to.equal("CommandRejected");
      expect(retryable).to.equal(false);
      expect(message).to.contain(said);

      const next = await extractWith([], "ExifTool.jpg");
      expect(next.SourceFile).to.equal(`s3://${BUCKET}/ExifTool.jpg`);
    });
  }
});
