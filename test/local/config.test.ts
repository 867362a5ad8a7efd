// The local pipeline's settings: every stack setting is run here, or named
// as one that only AWS runs.
import { expect } from "chai";
import { stackSettings } from "../../infra/stack-file";
import { localSettings, type LocalSettings } from "../../local/config";
import { ROOT } from "./support";

const dev = (values: Record<string, string>): LocalSettings =>
  localSettings("dev", stackSettings(ROOT, "dev", values));

describe("local settings (local/config.ts)", () => {
  const bucketCases: { what: string; values: Record<string, string>; buckets: string[] }[] = [
    {
      what: "uses the stack's bucket names",
      values: {
        uploadBucketName: "my-photos",
        resultsBucketName: "my-results",
        resultsPrefix: "exiftool/",
      },
      buckets: ["my-photos", "my-results"],
    },
    {
      what: "keeps results in the upload bucket when the stack does",
      values: {
        resultsInUploadBucket: "true",
        resultsPrefix: "exiftool/",
        filterPrefix: "incoming/",
      },
      buckets: ["uploads", "uploads"],
    },
  ];
  for (const { what, values, buckets } of bucketCases) {
    it(`${what}, and the function is told the same`, () => {
      const local = dev(values);
      expect([local.uploadBucket, local.resultsBucket]).to.deep.equal(buckets);
      expect(local.functionEnvironment).to.include({
        UPLOAD_BUCKETS: buckets[0],
        RESULTS_BUCKET: buckets[1],
        RESULTS_PREFIX: "exiftool/",
      });
    });
  }

  it("refuses a results prefix the notification filter would announce, as preview does", () => {
    expect(() =>
      dev({
        resultsInUploadBucket: "true",
        resultsPrefix: "exiftool/",
        filterPrefix: "exiftool/in/",
      }),
    ).to.throw(/s3-exiftool:filterPrefix: "exiftool\/in\/" overlaps resultsPrefix "exiftool\/"/);
  });

  it("names the settings only AWS runs, and none for the dev stack", () => {
    expect(dev({}).notLocal).to.deep.equal([]);
    const aws = dev({ enableEventBridge: "true", alarmEmail: "ops@example.com" });
    expect(aws.notLocal.map((line) => line.split(" ")[0])).to.deep.equal([
      "enableEventBridge",
      "alarmEmail",
    ]);
    expect(aws.functionEnvironment).to.not.have.property("EVENT_BUS_NAME");
  });
});
