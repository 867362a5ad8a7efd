// S3's rules for an annotation's name (Amazon S3 User Guide, "Managing
// annotations"): 1 to 512 bytes of UTF-8, Unicode letters, digits, "_", "."
// and "-", and not starting with "aws" or "s3", which S3 keeps for itself.
// Pure: the stack refuses a bad name at preview, before any object is read.

export const ANNOTATION_NAME_MAX_BYTES = 512;

const NAME_CHARACTERS = /^[\p{L}\p{Nd}_.-]+$/u;

/** Why S3 would refuse this annotation name, or undefined when it accepts it. */
export function annotationNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes < 1 || bytes > ANNOTATION_NAME_MAX_BYTES) {
    return `must be 1 to ${ANNOTATION_NAME_MAX_BYTES} bytes of UTF-8, got ${bytes}`;
  }
  if (!NAME_CHARACTERS.test(name)) {
    return `may hold only letters, digits, "_", "." and "-", got "${name}"`;
  }
  // S3 reserves both prefixes; refused in any case, as S3's own names are lowercase
  // and a name that differs only in case would be a trap for the next reader
  if (/^(aws|s3)/i.test(name)) {
    return `must not start with "aws" or "s3" (reserved by S3), got "${name}"`;
  }
  return undefined;
}
