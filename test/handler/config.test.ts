import { expect } from "chai";
import { ExifToolJson } from "../../function/exiftool/exiftool-json";
import { loadConfig } from "../../function/config";
import { commandsWithEveryForm } from "../support/accepted-options";
import { buildDetail } from "../../function/results/event-publisher";
import { buildResult } from "../../function/results/result-record";

describe("function configuration", () => {
  const base = { RESULTS_BUCKET: "my-results", UPLOAD_BUCKETS: "my-uploads" };

  it("has documented defaults", () => {
    const config = loadConfig({ ...base, EXIFTOOL_WORKERS: "3" });
    expect(config).to.include({
      resultsBucket: "my-results",
      resultsPrefix: "",
      workers: 3,
      reserveMs: 5000,
    });
    expect(config.exiftoolOptions).to.deep.equal([]);
    expect(config.eventBusName).to.equal(undefined);
    expect(config.uploadBuckets).to.deep.equal(["my-uploads"]);
    // no budget of its own: an object may use the invocation's time
    expect(config.objectTimeoutMs).to.equal(0);
  });

  it("gives an object that ran out of a worker's memory the workers' memory together", () => {
    const config = loadConfig({
      ...base,
      EXIFTOOL_WORKERS: "2",
      MAX_WORKER_RSS_MB: "384",
      OBJECT_TIMEOUT_MS: "23000",
    });
    expect(config.maxWorkerRssBytes).to.equal(384 * 1024 * 1024);
    expect(config.aloneWorkerRssBytes).to.equal(768 * 1024 * 1024);
    expect(config.limits).to.deep.equal({
      objectTimeoutMs: 23000,
      maxWorkerRssMb: 384,
      exiftoolWorkers: 2,
    });
    // one worker has nothing to borrow from
    const single = loadConfig({ ...base, EXIFTOOL_WORKERS: "1", MAX_WORKER_RSS_MB: "384" });
    expect(single.aloneWorkerRssBytes).to.equal(undefined);
  });

  it("writes results to the bucket unless RESULT_DESTINATION says annotation or both, under S3's annotation name rules", () => {
    expect(loadConfig(base)).to.include({
      resultDestination: "bucket",
      annotationName: "exiftool",
    });
    for (const destination of ["bucket", "annotation", "both"]) {
      expect(loadConfig({ ...base, RESULT_DESTINATION: destination }).resultDestination).to.equal(
        destination,
      );
    }
    expect(loadConfig({ ...base, ANNOTATION_NAME: "media.exif_v2" }).annotationName).to.equal(
      "media.exif_v2",
    );
    const refused: [Record<string, string>, RegExp][] = [
      [
        { RESULT_DESTINATION: "annotations" },
        /RESULT_DESTINATION must be one of bucket, annotation, both/,
      ],
      [
        { ANNOTATION_NAME: "aws.exif" },
        /ANNOTATION_NAME "aws.exif": .*must not start with "aws" or "s3"/,
      ],
      [{ ANNOTATION_NAME: "S3exif" }, /must not start with "aws" or "s3"/],
      [{ ANNOTATION_NAME: "exif/tool" }, /only letters, digits, underscores, periods and hyphens/],
      [{ ANNOTATION_NAME: "x".repeat(513) }, /at most 512 bytes/],
    ];
    for (const [env, message] of refused) {
      expect(() => loadConfig({ ...base, ...env })).to.throw(message);
    }
  });

  it("reads every upload bucket of a comma-separated list", () => {
    const config = loadConfig({ ...base, UPLOAD_BUCKETS: "in-a, in-b" });
    expect(config.uploadBuckets).to.deep.equal(["in-a", "in-b"]);
  });

  it("accepts every form the exiftool option allow-list accepts", () => {
    for (const command of commandsWithEveryForm()) {
      const config = loadConfig({ ...base, EXIFTOOL_OPTIONS: JSON.stringify(command) });
      expect(config.exiftoolOptions).to.deep.equal(command);
    }
  });

  const invalid: [Record<string, string>, RegExp][] = [
    [{}, /RESULTS_BUCKET is not set/],
    [{ RESULTS_BUCKET: "my-results" }, /UPLOAD_BUCKETS is not set/],
    [
      { ...base, UPLOAD_BUCKETS: "in-ok,Bad_Name" },
      /UPLOAD_BUCKETS: "Bad_Name" is not a valid bucket name/,
    ],
    [{ RESULTS_BUCKET: "Not_A_Bucket" }, /RESULTS_BUCKET .* not a valid bucket name/],
    [{ ...base, EXIFTOOL_WORKERS: "0" }, /EXIFTOOL_WORKERS must be a whole number from 1 to 64/],
    [{ ...base, EXIFTOOL_WORKERS: "two" }, /EXIFTOOL_WORKERS/],
    [{ ...base, EXIFTOOL_OPTIONS: "-G1" }, /EXIFTOOL_OPTIONS must be a JSON array of strings/],
    [
      { ...base, EXIFTOOL_OPTIONS: '["-o", "out.json"]' },
      /EXIFTOOL_OPTIONS: .*"-o" is refused: it writes files/,
    ],
    // exiftool would reject every command: the function refuses to start
    ...["xx", "zz-ZZZZ", "de-DEUX"].map((language): [Record<string, string>, RegExp] => [
      { ...base, EXIFTOOL_OPTIONS: JSON.stringify(["-lang", language]) },
      new RegExp(
        `^EXIFTOOL_OPTIONS: ExifTool option "-lang" has an invalid value "${language}": the languages are cs, de, en, .*zh-tw$`,
      ),
    ]),
    [
      { ...base, EXIFTOOL_OPTIONS: '["-c", "%.999999999f"]' },
      /^EXIFTOOL_OPTIONS: ExifTool option "-c" has an invalid value "%.999999999f": a width or precision of 999999999/,
    ],
    [
      { ...base, EXIFTOOL_OPTIONS: '["-d", "%999999999Y"]' },
      /^EXIFTOOL_OPTIONS: ExifTool option "-d" has an invalid value "%999999999Y": a width or precision of 999999999/,
    ],
    [{ ...base, RESULTS_PREFIX: "/abs/" }, /RESULTS_PREFIX must not start with "\/"/],
    [{ ...base, DEADLINE_RESERVE_MS: "-1" }, /DEADLINE_RESERVE_MS/],
    [{ ...base, OBJECT_TIMEOUT_MS: "-1" }, /OBJECT_TIMEOUT_MS must be a whole number from 0/],
    [{ ...base, OBJECT_TIMEOUT_MS: "5s" }, /OBJECT_TIMEOUT_MS/],
    [{ ...base, OBJECT_TIMEOUT_MS: "900001" }, /OBJECT_TIMEOUT_MS .* to 900000/],
  ];
  for (const [env, message] of invalid) {
    it(`refuses ${JSON.stringify(env)} with a message naming the variable`, () => {
      expect(() => loadConfig(env)).to.throw(message);
    });
  }
});

describe("result event detail", () => {
  const object = { size: 10, lastModified: new Date(0), eTag: '"abc"' };
  const stored = { bucket: "results", key: "a.jpg.json", bytes: 100 };
  const run = { version: "13.59", options: [] };

  it("carries the metadata, as ExifTool printed it, when it fits EventBridge's 256 KB", () => {
    const printed = '{\n  "Make": "X",\n  "Dose": 3.51360899930879e+20,\n  "Format": 1.10\n}';
    const text = buildDetail(
      buildResult({ bucket: "b", key: "a.jpg" }, object, run, new ExifToolJson(printed)),
      stored,
    );
    expect(text).to.contain(`"metadata":${printed}`);
    expect(JSON.parse(text).metadata).to.include({ Make: "X" });
    const detail = JSON.parse(text);
    expect(detail.result).to.deep.equal({ bucket: "results", key: "a.jpg.json" });
  });

  it("keeps only the pointer to the stored result when the metadata is too large", () => {
    const huge = new ExifToolJson(JSON.stringify({ Comment: "x".repeat(300 * 1024) }));
    const text = buildDetail(buildResult({ bucket: "b", key: "a.jpg" }, object, run, huge), stored);
    const detail = JSON.parse(text);
    expect(detail.metadata).to.equal(undefined);
    expect(detail.result.key).to.equal("a.jpg.json");
    expect(Buffer.byteLength(text)).to.be.below(256 * 1024);
  });
});
