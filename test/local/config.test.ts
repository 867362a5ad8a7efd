// The local pipeline's settings: every stack setting is run here, or named
// as one that only AWS runs.
import { expect } from "chai";
import { stackSettings } from "../../infra/stack-file";
import { localSettings, type LocalSettings } from "../../local/config";
import { ROOT } from "./support";

const dev = (values: Record<string, string>): LocalSettings =>
  localSettings("dev", stackSettings(ROOT, "dev", values));

describe("local settings (local/config.ts)", () => {
  it("uses the stack's bucket names, and the function is told the same ones", () => {
    const named = dev({
      uploadBucketName: "my-photos",
      resultsBucketName: "my-results",
      resultsPrefix: "exiftool/",
    });
    expect([named.uploadBucket, named.resultsBucket]).to.deep.equal(["my-photos", "my-results"]);
    expect(named.functionEnvironment).to.include({
      UPLOAD_BUCKETS: "my-photos",
      RESULTS_BUCKET: "my-results",
      RESULTS_PREFIX: "exiftool/",
    });
  });

  it("keeps results in the upload bucket when the stack does", () => {
    const here = dev({
      resultsInUploadBucket: "true",
      resultsPrefix: "exiftool/",
      filterPrefix: "incoming/",
    });
    expect([here.uploadBucket, here.resultsBucket]).to.deep.equal(["uploads", "uploads"]);
    expect(here.functionEnvironment).to.include({
      UPLOAD_BUCKETS: "uploads",
      RESULTS_BUCKET: "uploads",
    });
  });

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
