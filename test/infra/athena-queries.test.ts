// The named queries, rendered, against the records the function writes for
// real camera photos: every JSON path they read is a scalar there, and the
// SQL's own patterns, run here, give ExifTool's numbers back.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  ANNOTATION_TABLE,
  DMS_PARTS,
  METADATA_CATALOG,
  NAMED_QUERIES,
  sqlString,
  TAKEN_AT,
} from "../../infra/athena-queries";
import { ExifToolJson, stringifyWithExifToolJson } from "../../function/exiftool/exiftool-json";
import { buildResult } from "../../function/results/result-record";
import { exiftoolJson, exiftoolText } from "../support/local-exiftool";
import { noise } from "../support/noise";
import { ROOT } from "./stack-config";

const TABLE = { namespace: "b_uploads", annotationName: "exif.tool-v2" };
const PHOTOS = path.join(ROOT, "..", "shared", "corpus", "camera-photos");
const WITH_GPS = [
  "Apple iPhone 6 plus.jpg",
  "Nexus 4.jpg",
  "Samsung SM-G935L (Galaxy S7 Edge).jpg",
  "Issue 308.jpg",
];

/** The record the function stores for this file's ExifTool JSON, as the annotation's payload. */
function record(key: string, text: string): Record<string, unknown> {
  const stored = buildResult(
    { bucket: "uploads", key },
    { size: 1, lastModified: new Date(0), eTag: '"e"', versionId: "v1" },
    { version: "13.59", options: [] },
    new ExifToolJson(text),
  );
  return JSON.parse(stringifyWithExifToolJson(stored)) as Record<string, unknown>;
}

/** `$.a.b` of a parsed record, as json_extract_scalar sees it: a scalar or nothing. */
function scalarAt(value: Record<string, unknown>, jsonPath: string): unknown {
  let at: unknown = value;
  for (const part of jsonPath.split(".")) {
    at = at !== null && typeof at === "object" ? (at as Record<string, unknown>)[part] : undefined;
  }
  return at;
}

function pathsOf(sql: string): string[] {
  return [...sql.matchAll(/json_extract_scalar\(text_value, '\$\.([A-Za-z.]+)'\)/g)].map(
    (m) => m[1]!,
  );
}

function decimal(dms: string): number {
  const part = (pattern: string) => Number(new RegExp(pattern).exec(dms)?.[1] ?? 0);
  const sign = new RegExp(DMS_PARTS.negative).test(dms) ? -1 : 1;
  return (
    sign * (part(DMS_PARTS.degrees) + part(DMS_PARTS.minutes) / 60 + part(DMS_PARTS.seconds) / 3600)
  );
}

describe("Athena named queries over the annotation table", () => {
  const rendered = NAMED_QUERIES.map((spec) => ({ spec, sql: spec.sql(TABLE) }));
  let records: Record<string, unknown>[];
  let numeric: Map<string, Record<string, unknown>>;

  before(async () => {
    const files = WITH_GPS.map((name) => path.join(PHOTOS, name));
    const folder = mkdtempSync(path.join(tmpdir(), "s3-exiftool-athena-"));
    try {
      const garbage = path.join(folder, "garbage.bin");
      writeFileSync(garbage, noise(4096));
      const texts = await Promise.all([...files, garbage].map((file) => exiftoolText(file)));
      records = texts.map((text, i) => record(`photos/${i}`, text));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
    numeric = await exiftoolJson(files, ["-n"]);
  });

  it("reads the annotation table of the bucket's namespace, this annotation's latest revision", () => {
    expect(rendered.map((r) => r.spec.id)).to.deep.equal([
      "ByCamera",
      "InBoundingBox",
      "TakenBetween",
      "FailedOrArchived",
      "OneKey",
    ]);
    for (const { sql } of rendered) {
      expect(sql).to.include(`FROM "${METADATA_CATALOG}"."b_uploads"."${ANNOTATION_TABLE}"`);
      expect(sql).to.include("WHERE name = 'exif.tool-v2'");
      expect(sql).to.include("ORDER BY sequence_number DESC");
      expect(sql).to.match(/WHERE revision = 1\b/);
    }
  });

  it("is well formed: balanced brackets and quotes, one ? per documented parameter", () => {
    for (const { spec, sql } of rendered) {
      // quotes first, so that brackets inside string literals do not count
      const outside = sql.replace(/'(?:[^']|'')*'/g, "S").replace(/"[^"]*"/g, "I");
      expect(outside, spec.id).not.to.match(/['"]/);
      let depth = 0;
      for (const char of outside) {
        depth += char === "(" ? 1 : char === ")" ? -1 : 0;
        expect(depth, spec.id).to.be.at.least(0);
      }
      expect(depth, spec.id).to.equal(0);
      expect(outside.split("?").length - 1, spec.id).to.equal(spec.parameters.length);
    }
  });

  it("quotes an annotation name as a SQL string, whatever it holds", () => {
    expect(sqlString("it's")).to.equal("'it''s'");
  });

  it("reads only scalar fields that the function's records hold", () => {
    const used = new Set(rendered.flatMap(({ sql }) => pathsOf(sql)));
    expect([...used].sort()).to.deep.equal(
      [
        "status",
        "metadata.Make",
        "metadata.Model",
        "metadata.GPSLatitude",
        "metadata.GPSLongitude",
        "metadata.DateTimeOriginal",
        "metadata.Error",
      ].sort(),
    );
    for (const jsonPath of used) {
      const values = records.map((r) => scalarAt(r, jsonPath)).filter((v) => v !== undefined);
      expect(values, jsonPath).not.to.be.empty;
      for (const value of values) expect(typeof value, jsonPath).to.be.oneOf(["string", "number"]);
    }
    expect(records.map((r) => r.status)).to.deep.equal(records.map(() => "extracted"));
    expect(scalarAt(records.at(-1)!, "metadata.Error")).to.be.a("string");
  });

  it("turns ExifTool's printed GPS position into the degrees of exiftool -n", () => {
    WITH_GPS.forEach((name, i) => {
      const exact = numeric.get(name)!;
      for (const tag of ["GPSLatitude", "GPSLongitude"]) {
        const printed = scalarAt(records[i]!, `metadata.${tag}`) as string;
        expect(printed, `${name} ${tag}`).to.match(/ deg /);
        expect(decimal(printed), `${name} ${tag}`).to.be.closeTo(exact[tag] as number, 1e-5);
      }
    });
    // the west of Greenwich is negative
    expect(numeric.get("Nexus 4.jpg")!.GPSLongitude).to.be.below(0);
  });

  it("parses DateTimeOriginal with the format date_parse is given", () => {
    // Presto's date_parse: %Y four digits; %m %d %H %i (minutes) %s two digits
    const format = new RegExp(
      `^${TAKEN_AT.format.replace("%Y", "\\d{4}").replace(/%[mdHis]/g, "\\d{2}")}$`,
    );
    for (const r of records.slice(0, WITH_GPS.length)) {
      const taken = scalarAt(r, "metadata.DateTimeOriginal") as string;
      expect(taken.slice(0, TAKEN_AT.length)).to.match(format);
    }
  });
});
