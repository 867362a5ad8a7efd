import { expect } from "chai";
import { decodeS3Key, parseMessage } from "../../function/events/object-created";
import {
  encodeS3EventKey,
  nextSequencer,
  s3EventBody,
  s3EventRecord,
  type CreatedObject,
  type EventContext,
} from "../../local/s3-event";
import keys from "./fixtures/s3-notification-keys.json";
import recorded from "./fixtures/s3-put-notification.recorded.json";

const object: CreatedObject = {
  bucket: "uploads",
  key: "my_key_0",
  size: 9,
  eTag: "437b930db84b8079c2dd804a71936b5f",
  versionId: "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd",
  sequencer: "0055AED6DCD90281E5",
};
const context: EventContext = {
  eventName: "ObjectCreated:Put",
  region: "us-east-1",
  eventTime: new Date("2024-05-01T12:00:00.123Z"),
  configurationId: "exiftool-uploads",
  requestId: "C3D13FE58DE4C810",
  hostId: "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD",
  sourceIPAddress: "127.0.0.1",
};

/** Every path to a leaf, e.g. "s3.object.key", sorted. */
function paths(value: unknown, prefix = ""): string[] {
  if (typeof value !== "object" || value === null) return [prefix];
  return Object.entries(value)
    .flatMap(([key, child]) => paths(child, prefix ? `${prefix}.${key}` : key))
    .sort();
}

describe("local S3 notification JSON", () => {
  describe("key encoding", () => {
    for (const example of keys.observed) {
      it(`encodes ${JSON.stringify(example.key)} as real S3 did: ${example.encoded}`, () => {
        expect(encodeS3EventKey(example.key)).to.equal(example.encoded);
      });
    }
    for (const example of keys.derived) {
      it(`encodes ${JSON.stringify(example.key)} as ${example.encoded} (${example.rule})`, () => {
        expect(encodeS3EventKey(example.key)).to.equal(example.encoded);
      });
    }

    it("round-trips every example through the handler's own decoder", () => {
      for (const { key } of [...keys.observed, ...keys.derived]) {
        expect(decodeS3Key(encodeS3EventKey(key))).to.equal(key);
      }
    });
  });

  describe("record", () => {
    it("has exactly the fields of a recorded real ObjectCreated:Put record", () => {
      expect(paths(s3EventRecord(object, context))).to.deep.equal(paths(recorded.record));
    });

    it("carries S3's constant fields and the object's facts", () => {
      const record = s3EventRecord(object, context);
      expect(record.eventVersion).to.equal(recorded.record.eventVersion);
      expect(record.eventSource).to.equal(recorded.record.eventSource);
      expect(record.s3.s3SchemaVersion).to.equal(recorded.record.s3.s3SchemaVersion);
      expect(record.eventTime).to.equal("2024-05-01T12:00:00.123Z");
      expect(record.s3.bucket.arn).to.equal("arn:aws:s3:::uploads");
      expect(record.s3.object).to.deep.include({
        size: 9,
        eTag: object.eTag,
        sequencer: object.sequencer,
      });
    });

    it("names no version for an unversioned bucket, as S3 does", () => {
      const record = s3EventRecord({ ...object, versionId: undefined }, context);
      expect(record.s3.object).to.not.have.property("versionId");
    });

    it("is a body the handler parses back to the same object", () => {
      const key = "photos/Zoë 1+1=2 100%.jpg";
      const parsed = parseMessage(
        s3EventBody({ ...object, key }, { ...context, eventName: "ObjectCreated:Copy" }),
      );
      expect(parsed.kind).to.equal("objects");
      if (parsed.kind !== "objects") return;
      expect(parsed.objects).to.deep.equal([
        {
          bucket: "uploads",
          key,
          size: 9,
          eTag: object.eTag,
          versionId: object.versionId,
          sequencer: object.sequencer,
          eventName: "ObjectCreated:Copy",
          eventTime: "2024-05-01T12:00:00.123Z",
        },
      ]);
    });
  });

  it("hands out sequencers that grow, as hex strings of one length, even within a millisecond", () => {
    const now = Date.now();
    const sequencers = [
      nextSequencer(now),
      nextSequencer(now),
      nextSequencer(now - 5),
      nextSequencer(now + 1),
    ];
    for (const sequencer of sequencers) expect(sequencer).to.match(/^[0-9A-F]{18}$/);
    for (let i = 1; i < sequencers.length; i++)
      expect(sequencers[i]! > sequencers[i - 1]!).to.equal(true);
  });
});
