// What the stack and `npm run backfill` must agree on, kept free of Pulumi
// imports so that the backfill loads fast.

/**
 * Backfill manifests and Batch Operations completion reports live in one
 * dot-folder of the results location, so that the Batch Operations role can
 * be scoped to it rather than to every result.
 */
export const BACKFILL_FOLDER = ".s3-exiftool/backfill/";

/** Athena's query results (the stack's workgroup), beside the backfill's files. */
export const ATHENA_FOLDER = ".s3-exiftool/athena/";

/** The key prefix, in the results bucket, of every backfill run's files. */
export function backfillPrefix(resultsPrefix: string): string {
  return `${resultsPrefix}${BACKFILL_FOLDER}`;
}

/**
 * The ExifTool release a package version vendors, as results record it
 * (`exiftool-vendored.pl` 13.59.3 is ExifTool 13.59, packaging revision 3).
 */
export function exiftoolRelease(packageVersion: string): string {
  const match = /^(\d+\.\d+)\.\d+$/.exec(packageVersion);
  if (!match) throw new Error(`not an exiftool-vendored.pl version: "${packageVersion}"`);
  return match[1]!;
}
