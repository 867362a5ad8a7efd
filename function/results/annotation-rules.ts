// S3's rules for object annotations (Amazon S3 User Guide, "Annotating
// your objects"; API reference, PutObjectAnnotation): a name of 1 to 512
// bytes of UTF-8, Unicode letters, digits, underscores, periods and hyphens,
// not starting with "aws" or "s3" in any case; a payload of 1 byte to 1 MiB
// of valid UTF-8; at most 1,000 per object version. One copy for the
// stack's setting, the function and the local S3.

export const MAX_ANNOTATION_NAME_BYTES = 512;
export const MAX_ANNOTATION_BYTES = 1024 * 1024;
export const MAX_ANNOTATIONS_PER_OBJECT = 1000;

const NAME_CHARACTERS = /^[\p{L}\p{N}_.-]+$/u;

/** What is wrong with `name` as an annotation name; undefined when S3 accepts it. */
export function annotationNameProblem(name: string): string | undefined {
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes < 1 || bytes > MAX_ANNOTATION_NAME_BYTES)
    return `must be 1 to ${MAX_ANNOTATION_NAME_BYTES} bytes of UTF-8 (at most ${MAX_ANNOTATION_NAME_BYTES} bytes), got ${bytes}`;
  if (!NAME_CHARACTERS.test(name))
    return `may hold only letters, digits, underscores, periods and hyphens, got "${name}"`;
  // refused in any letter case: a name differing from S3's own only in case is a trap
  if (/^(aws|s3)/i.test(name))
    return `must not start with "aws" or "s3" (reserved by S3), got "${name}"`;
  return undefined;
}
