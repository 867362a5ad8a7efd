// GETs per camera photo: ExifTool reads a photo's head and then its last
// bytes, so a photo whose event announces its size (at most the whole-object
// size) is read whole in one GET; unannounced, the same photo takes more.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { Extractor } from "../../function/extractor";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const PHOTOS = join(__dirname, "..", "..", "..", "shared", "corpus", "camera-photos");

// a 2.5 MB JPEG with a 20 KiB head, one with a 527 KiB head (a depth map), a HEIC with EXIF at its end
/** 3.7 MB: over the whole-object size. */
const LARGE_PHOTO = "Apple iPhone 6 plus.jpg";

const cases = [
  { name: "Canon EOS 1000D.jpg", make: "Canon" },
  { name: "Android Depth Map.jpg", make: undefined },
  { name: "exif-at-eof.heic", make: "Apple" },
];

describe("GETs per camera photo", function () {
  this.timeout(60_000);
  let local: LocalS3;
  let extractor: Extractor;

  before(async () => {
    local = await startLocalS3(["photos"]);
    extractor = new Extractor({ s3: local.s3, workers: 1 });
    for (const name of [...cases.map((c) => c.name), LARGE_PHOTO])
      await local.put("photos", name, readFileSync(join(PHOTOS, name)));
  });
  after(async () => {
    await extractor.close();
    await local.stop();
  });

  for (const { name, make } of cases) {
    it(`${name}: one GET with its size announced, more without`, async () => {
      const size = readFileSync(join(PHOTOS, name)).length;
      const announced = await extractor.extract({
        bucket: "photos",
        key: name,
        announcedSize: size,
      });
      expect(announced.stats).to.deep.equal({ requests: 1, bytesRead: size });
      expect(announced.metadata.Make).to.equal(make);
      const unannounced = await extractor.extract({ bucket: "photos", key: name });
      expect(unannounced.stats.requests).to.be.at.least(2);
      expect(unannounced.metadata).to.deep.equal(announced.metadata);
    });
  }

  it(`${LARGE_PHOTO}: over the whole-object size, its head and its end, not the whole`, async () => {
    const size = readFileSync(join(PHOTOS, LARGE_PHOTO)).length;
    const { stats, metadata } = await extractor.extract({
      bucket: "photos",
      key: LARGE_PHOTO,
      announcedSize: size,
    });
    expect(stats.requests).to.equal(2);
    expect(stats.bytesRead).to.be.below(64 * 1024);
    expect(metadata.Make).to.equal("Apple");
  });
});
