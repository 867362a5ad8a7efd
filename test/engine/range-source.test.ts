// Deterministic counts of what S3RangeSource asks S3 for.
import { expect } from "chai";
import { S3RangeSource } from "../../function/ranges/s3-range-source";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

const KiB = 1024;

describe("S3 range source", function () {
  this.timeout(30_000);
  let local: LocalS3;
  const data = Buffer.alloc(1024 * KiB);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 10)) & 0xff;

  before(async () => {
    local = await startLocalS3(["ranges"]);
    await local.put("ranges", "data.bin", data);
  });
  after(() => local.stop());

  const source = (
    options: ConstructorParameters<typeof S3RangeSource>[2] = {},
    announcedSize?: number,
  ): S3RangeSource =>
    new S3RangeSource(local.s3, { bucket: "ranges", key: "data.bin", announcedSize }, options);

  it("reads an object announced at or under the whole-object size in its first GET", async () => {
    const whole = source({ firstReadBytes: 32 * KiB, wholeObjectBytes: 1024 * KiB }, data.length);
    expect(await whole.read(0, 100)).to.deep.equal(data.subarray(0, 100));
    // the trailer check a photo ends with: served from the same GET
    expect(await whole.read(data.length - 64, 64)).to.deep.equal(data.subarray(-64));
    expect(whole.stats).to.deep.equal({ requests: 1, bytesRead: data.length });
  });

  it("keeps the first read small for an object announced larger, or not announced", async () => {
    for (const ranged of [
      source({ firstReadBytes: 32 * KiB, wholeObjectBytes: 512 * KiB }, data.length),
      source({ firstReadBytes: 32 * KiB, wholeObjectBytes: 1024 * KiB }),
    ]) {
      await ranged.read(0, 100);
      await ranged.read(data.length - 64, 64);
      expect(ranged.stats).to.deep.equal({ requests: 2, bytesRead: 48 * KiB });
    }
  });

  it("trusts the object over a stale announced size", async () => {
    // announced 100 KiB (since replaced by 1 MiB): the first GET asks for 112 KiB, the rest follows
    const stale = source({ blockSize: 16 * KiB, wholeObjectBytes: 1024 * KiB }, 100 * KiB);
    expect((await stale.open()).size).to.equal(data.length);
    expect(await stale.read(data.length - 64, 64)).to.deep.equal(data.subarray(-64));
    expect(stale.stats).to.deep.equal({ requests: 2, bytesRead: 112 * KiB + 16 * KiB });
  });

  it("counts the time with a request in flight", async () => {
    const timed = source({ firstReadBytes: 16 * KiB });
    expect(timed.networkMs()).to.equal(0);
    await timed.read(0, 100);
    const afterFirst = timed.networkMs();
    expect(afterFirst).to.be.greaterThan(0);
    await timed.read(0, 100); // cached: no request, no time
    expect(timed.networkMs()).to.equal(afterFirst);
  });

  it("takes the size and ETag from the first ranged GET, and serves headers from it", async () => {
    const ranged = source({ blockSize: 16 * KiB, firstReadBytes: 32 * KiB });
    const info = await ranged.open();
    expect(info.size).to.equal(data.length);
    expect(info.eTag).to.match(/^"[0-9a-f]+"$/);
    expect(await ranged.read(100, 5000)).to.deep.equal(data.subarray(100, 5100));
    expect(ranged.stats).to.deep.equal({ requests: 1, bytesRead: 32 * KiB });
  });

  it("serves a repeated read from its cache", async () => {
    const ranged = source({ blockSize: 16 * KiB, firstReadBytes: 16 * KiB });
    await ranged.read(500 * KiB, 100);
    await ranged.read(500 * KiB, 100);
    expect(ranged.stats).to.deep.equal({ requests: 2, bytesRead: 32 * KiB });
  });

  it("reads a range longer than its cache in one request, without refetching", async () => {
    const ranged = source({ blockSize: 16 * KiB, firstReadBytes: 16 * KiB, cacheBytes: 32 * KiB });
    const slice = await ranged.read(100 * KiB, 300 * KiB);
    expect(slice).to.deep.equal(data.subarray(100 * KiB, 400 * KiB));
    // first read (1 block) + one run of 19 blocks (96..399 KiB rounded to blocks)
    expect(ranged.stats.requests).to.equal(2);
    expect(ranged.stats.bytesRead).to.equal(16 * KiB + 19 * 16 * KiB);
  });

  it("grows its read-ahead for sequential reads, and clamps at the end of the object", async () => {
    const ranged = source({ blockSize: 16 * KiB, firstReadBytes: 16 * KiB });
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += 8 * KiB) chunks.push(await ranged.read(at, 8 * KiB));
    expect(Buffer.concat(chunks)).to.deep.equal(data);
    expect(await ranged.read(data.length - 10, 100)).to.have.length(10);
    expect(ranged.stats.bytesRead).to.equal(data.length);
    // 64 blocks read sequentially: far fewer requests than blocks
    expect(ranged.stats.requests).to.be.at.most(10);
    const gets = local.proxy.getsOf("ranges", "data.bin");
    expect(gets.every((get) => get.status === 206)).to.equal(true);
  });
});
