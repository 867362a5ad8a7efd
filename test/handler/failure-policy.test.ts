// The failure table (ARCHITECTURE.md, "What a failure means"): each error
// an object can end in, and what both event sources make of it.
import { expect } from "chai";
import { MalformedMessageError } from "../../function/events/object-created";
import { WorkerError } from "../../function/exiftool/exiftool-worker";
import { DeadlineError } from "../../function/outcomes/deadline";
import { judge, type Disposition } from "../../function/outcomes/failure-policy";
import { RefusedObjectError } from "../../function/outcomes/refusal";
import { classifyS3Error } from "../../function/ranges/s3-errors";
import { ResultConflictError, SupersededResultError } from "../../function/results/s3-result-sink";

const sdkError = (name: string, status: number, extra: Record<string, string> = {}) =>
  Object.assign(
    new Error(`${name} from S3`),
    { name, $metadata: { httpStatusCode: status } },
    extra,
  );

describe("failure policy", () => {
  const table: [string, unknown, Disposition, string][] = [
    ["a throttled read", classifyS3Error(sdkError("SlowDown", 503), "o"), "retry", "Throttled"],
    ["an S3 5xx", classifyS3Error(sdkError("InternalError", 500), "o"), "retry", "Other"],
    [
      "a denied read",
      classifyS3Error(sdkError("AccessDenied", 403), "o"),
      "give-up",
      "AccessDenied",
    ],
    [
      "an object replaced mid-read",
      classifyS3Error(sdkError("PreconditionFailed", 412), "o"),
      "give-up",
      "PreconditionFailed",
    ],
    [
      "a deleted object",
      classifyS3Error(sdkError("NoSuchKey", 404), "o"),
      "acknowledge",
      "NotFound",
    ],
    [
      "an archived object",
      classifyS3Error(sdkError("InvalidObjectState", 403, { StorageClass: "GLACIER" }), "o"),
      "acknowledge",
      "Archived",
    ],
    ["a worker crash", new WorkerError("WorkerCrashed", "gone"), "retry", "WorkerCrashed"],
    // the extractor's MemoryExceeded comes after the try alone: final
    [
      "a worker over its memory",
      new WorkerError("MemoryExceeded", "big"),
      "acknowledge",
      "MemoryExceeded",
    ],
    ["too much JSON", new WorkerError("OutputTooLarge", "long"), "acknowledge", "OutputTooLarge"],
    ["the Lambda deadline", new DeadlineError("late"), "retry", "DeadlineError"],
    ["a malformed message", new MalformedMessageError("bad"), "give-up", "MalformedMessage"],
    [
      "a foreign bucket",
      new RefusedObjectError("ForeignBucket", "no"),
      "acknowledge",
      "ForeignBucket",
    ],
    [
      "a key under the results prefix",
      new RefusedObjectError("ResultsPrefix", "loop"),
      "acknowledge",
      "ResultsPrefix",
    ],
    [
      "a foreign object at a result's place",
      new ResultConflictError("x"),
      "give-up",
      "ResultConflict",
    ],
    [
      "an older version than the stored result's",
      new SupersededResultError("newer there"),
      "acknowledge",
      "Superseded",
    ],
    ["anything else", new TypeError("surprise"), "retry", "TypeError"],
  ];
  for (const [what, error, disposition, failureType] of table) {
    it(`${what}: ${disposition} (${failureType})`, () => {
      const verdict = judge(error);
      expect(verdict).to.include({ disposition, failureType });
      expect(verdict.reason).to.equal((error as Error).message);
      // every acknowledged case is counted, under its own metric
      expect(verdict.metric !== undefined).to.equal(disposition === "acknowledge");
    });
  }

  it("records deterministic failures, and an object's Timeout only on a later receive of its message", () => {
    const timeout = new WorkerError("Timeout", "slow");
    expect(judge(timeout, { receiveCount: 1 })).to.include({ disposition: "retry" });
    expect(judge(timeout, { receiveCount: 1 }).record).to.equal(undefined);
    for (const attempt of [{ receiveCount: 2 }, { receiveCount: 5 }, {}]) {
      expect(judge(timeout, attempt), JSON.stringify(attempt)).to.include({
        disposition: "acknowledge",
        failureType: "Timeout",
        record: "failed",
        metric: "FailuresRecorded",
      });
    }
    for (const kind of ["MemoryExceeded", "OutputTooLarge"] as const) {
      expect(judge(new WorkerError(kind, "x"), { receiveCount: 1 }).record).to.equal("failed");
    }
    // what may pass (a crash), or is the stack's options' fault, is not recorded
    expect(judge(new WorkerError("WorkerCrashed", "x"), { receiveCount: 4 }).record).to.equal(
      undefined,
    );
    expect(judge(new WorkerError("CommandRejected", "x"), {}).disposition).to.equal("give-up");
    expect(judge(new DeadlineError("late"), { receiveCount: 9 }).disposition).to.equal("retry");
  });

  it("tells an archived object (InvalidObjectState, 403) from a denied one and keeps its storage class", () => {
    const error = classifyS3Error(
      sdkError("InvalidObjectState", 403, { StorageClass: "DEEP_ARCHIVE" }),
      "s3://b/k",
    );
    expect(error).to.include({ kind: "Archived", storageClass: "DEEP_ARCHIVE", retryable: false });
    expect(error.message).to.equal("archived (DEEP_ARCHIVE), restore it to read: s3://b/k");
  });
});
