// Where backfill manifests and Batch Operations completion reports live: one
// dot-folder of the results location, so that the Batch Operations role can
// be scoped to it rather than to every result. Pure (no Pulumi import): the
// stack's role and `npm run backfill` both use it.

export const BACKFILL_FOLDER = ".s3-exiftool/backfill/";

/** The key prefix, in the results bucket, of every backfill run's files. */
export function backfillPrefix(resultsPrefix: string): string {
  return `${resultsPrefix}${BACKFILL_FOLDER}`;
}
