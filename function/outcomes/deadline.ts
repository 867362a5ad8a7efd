/** The Lambda deadline came too close to start an extraction: retry later. */
export class DeadlineError extends Error {
  override readonly name = "DeadlineError";
}
