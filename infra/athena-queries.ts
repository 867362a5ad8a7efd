// The Athena named queries over the S3 Metadata annotation table. Pure, so a
// test renders each one and checks it against the record the function writes.
//
// The annotation table (Amazon S3 User Guide, "S3 Metadata annotation table
// schema") has one row per annotation revision: bucket, object_key,
// object_version_id, name, sequence_number (a larger one is a later revision
// of the same object version's annotation), last_modified_date, size, e_tag,
// text_value (the payload). S3 Metadata keeps it as table `annotation` in the
// AWS managed table bucket `aws-s3`, namespace `b_<bucket>`, which Athena
// reaches through the `s3tablescatalog/aws-s3` catalog.
//
// text_value is the function's result record (function/results/result-record.ts):
// bucket, key, versionId, eTag, size, status, exiftoolVersion, exiftoolOptions
// and metadata, ExifTool's JSON for the object. The tag names below are
// ExifTool's with the default options (no -G group prefixes).

export const METADATA_CATALOG = "s3tablescatalog/aws-s3";
export const ANNOTATION_TABLE = "annotation";

export interface AnnotationTableRef {
  /** The table bucket namespace S3 Metadata created for the upload bucket. */
  namespace: string;
  /** The annotation's name, as the function writes it. */
  annotationName: string;
}

export interface NamedQuerySpec {
  /** Resource and output name: `namedQuery<Id>`. */
  id: string;
  description: string;
  /** Values for the `?` placeholders, in order, as `--execution-parameters` takes them. */
  parameters: string[];
  sql(table: AnnotationTableRef): string;
}

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A SQL identifier in double quotes. */
function identifier(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}

const payload = (path: string): string => `json_extract_scalar(text_value, '$.${path}')`;

/**
 * The latest revision of each object version's annotation of this name: a
 * result written again (a backfill) adds a revision with a larger
 * sequence_number.
 */
function latestRecords(table: AnnotationTableRef): string {
  const source = [METADATA_CATALOG, table.namespace, ANNOTATION_TABLE].map(identifier).join(".");
  return [
    "WITH latest AS (",
    "  SELECT object_key, object_version_id, text_value,",
    "    row_number() OVER (",
    "      PARTITION BY object_key, object_version_id ORDER BY sequence_number DESC",
    "    ) AS revision",
    `  FROM ${source}`,
    `  WHERE name = ${sqlString(table.annotationName)}`,
    ")",
  ].join("\n");
}

/**
 * ExifTool's default print of a GPS coordinate, `51 deg 30' 26.00" N`: the
 * regular expressions that take its parts apart (S and W are negative).
 */
export const DMS_PARTS = {
  degrees: "^([0-9.]+) deg",
  minutes: "deg ([0-9.]+)'",
  seconds: '([0-9.]+)"',
  negative: "[SW]$",
} as const;

/** A GPS coordinate as signed decimal degrees: a number with -n, else parsed from the DMS print. */
function degrees(tag: string): string {
  const value = payload(`metadata.${tag}`);
  const part = (pattern: string) =>
    `try_cast(regexp_extract(${value}, ${sqlString(pattern)}, 1) AS double)`;
  return [
    `coalesce(try_cast(${value} AS double),`,
    `  (${part(DMS_PARTS.degrees)}`,
    `    + coalesce(${part(DMS_PARTS.minutes)}, 0) / 60`,
    `    + coalesce(${part(DMS_PARTS.seconds)}, 0) / 3600)`,
    `  * if(regexp_like(${value}, ${sqlString(DMS_PARTS.negative)}), -1, 1))`,
  ].join("\n");
}

/** The part of DateTimeOriginal that date_parse reads, and its format. */
export const TAKEN_AT = { length: 19, format: "%Y:%m:%d %H:%i:%s" } as const;

/** DateTimeOriginal ("2024:03:15 10:20:30", maybe with sub-seconds or a zone) as a timestamp. */
const takenAt = `try(date_parse(substr(${payload("metadata.DateTimeOriginal")}, 1, ${TAKEN_AT.length}), ${sqlString(TAKEN_AT.format)}))`;

function query(table: AnnotationTableRef, columns: string[], where: string[]): string {
  return [
    latestRecords(table),
    `SELECT ${columns.join(",\n  ")}`,
    "FROM latest",
    `WHERE ${["revision = 1", ...where].join("\n  AND ")}`,
    "ORDER BY object_key, object_version_id",
  ].join("\n");
}

const OBJECT = ["object_key", "object_version_id"];

export const NAMED_QUERIES: readonly NamedQuerySpec[] = [
  {
    id: "ByCamera",
    description: "Objects shot with one camera: parameters Make and Model as ExifTool prints them",
    parameters: ["'Canon'", "'Canon EOS 5D Mark IV'"],
    sql: (table) =>
      query(
        table,
        [...OBJECT, `${payload("metadata.Make")} AS make`, `${payload("metadata.Model")} AS model`],
        [`${payload("metadata.Make")} = ?`, `${payload("metadata.Model")} = ?`],
      ),
  },
  {
    id: "InBoundingBox",
    description:
      "Photos whose GPS position lies in a box: parameters south, north, west, east (decimal degrees)",
    parameters: ["48.80", "48.90", "2.25", "2.42"],
    sql: (table) =>
      [
        latestRecords(table),
        ", positioned AS (",
        `  SELECT object_key, object_version_id,`,
        `    ${degrees("GPSLatitude").replace(/\n/g, "\n    ")} AS latitude,`,
        `    ${degrees("GPSLongitude").replace(/\n/g, "\n    ")} AS longitude`,
        "  FROM latest",
        "  WHERE revision = 1",
        ")",
        "SELECT object_key, object_version_id, latitude, longitude",
        "FROM positioned",
        "WHERE latitude BETWEEN ? AND ?",
        "  AND longitude BETWEEN ? AND ?",
        "ORDER BY object_key, object_version_id",
      ].join("\n"),
  },
  {
    id: "TakenBetween",
    description:
      "Objects taken in a date range (DateTimeOriginal): parameters from and to timestamps",
    parameters: ["TIMESTAMP '2026-03-01 00:00:00'", "TIMESTAMP '2026-03-31 23:59:59'"],
    sql: (table) =>
      query(table, [...OBJECT, `${takenAt} AS taken_at`], [`${takenAt} BETWEEN ? AND ?`]),
  },
  {
    id: "FailedOrArchived",
    description:
      "Objects that were archived (no bytes served) or whose file ExifTool could not parse (its Error tag)",
    parameters: [],
    sql: (table) =>
      query(
        table,
        [...OBJECT, `${payload("status")} AS status`, `${payload("metadata.Error")} AS error`],
        [`(${payload("status")} <> 'extracted' OR ${payload("metadata.Error")} IS NOT NULL)`],
      ),
  },
  {
    id: "OneKey",
    description: "The whole record, ExifTool's metadata included, of one key: parameter the key",
    parameters: ["'photos/2026/IMG_0001.JPG'"],
    sql: (table) => query(table, [...OBJECT, "text_value AS record"], ["object_key = ?"]),
  },
];
