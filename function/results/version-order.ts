// Which of two versions of one object came later, so that an older
// version's metadata never replaces a newer one's result. S3's Last-Modified
// (whole seconds in the headers this function sees) orders versions; within
// one second, S3's event sequencer does, when both sides have one. A result
// records both (user metadata of the result object, see s3-result-sink.ts),
// so the sink can compare from the HEAD it makes anyway.

/** What orders a result among the results of the same key. */
export interface SourceOrder {
  /** Last-Modified of the version read, ISO 8601. */
  lastModified: string;
  /** The S3 event's sequencer, when the event described the version read. */
  sequencer?: string;
}

/**
 * Compares two sequencers of one key as S3 documents it (S3 User Guide,
 * "Event message structure"): hexadecimal strings of different lengths,
 * right-padded with zeros to the same length, then compared lexically.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padEnd(width, "0");
  const right = b.toUpperCase().padEnd(width, "0");
  return left < right ? -1 : left > right ? 1 : 0;
}

/** True when `incoming` describes an older version than `existing`; equal or unknown is not older. */
export function isOlder(incoming: SourceOrder, existing: Partial<SourceOrder>): boolean {
  const was = Date.parse(existing.lastModified ?? "");
  const now = Date.parse(incoming.lastModified);
  if (Number.isNaN(was) || Number.isNaN(now)) return false;
  if (now !== was) return now < was;
  if (incoming.sequencer === undefined || existing.sequencer === undefined) return false;
  return compareSequencers(incoming.sequencer, existing.sequencer) < 0;
}
