import { expect } from "chai";
import { latestPerlRelease, pickMaintenanceRelease } from "../../commands/versions/cpan";
import { anonymousToken, arm64Digest } from "../../commands/versions/ecr-public";
import { latestExiftoolOrgVersion } from "../../commands/versions/exiftool-org";
import { SourceError } from "../../commands/versions/http";
import { lambdaNodeMajors, supportedMajors } from "../../commands/versions/lambda-runtimes";
import { latestNpmVersion } from "../../commands/versions/npm-registry";
import { fixtureJson, recordedRoutes, startUpstream, type FakeUpstream } from "./helpers";

interface Hit {
  _source: { name: string; checksum_sha256: string; download_url: string };
}
interface IndexEntry {
  digest: string;
  platform: { architecture: string; os: string };
}

function recordedHit(name: string): Hit["_source"] {
  const hits = fixtureJson<{ hits: { hits: Hit[] } }>("metacpan/release-search.json").hits.hits;
  return hits.find((hit) => hit._source.name === name)!._source;
}

function recordedArm64(file: string): string {
  const index = fixtureJson<{ manifests: IndexEntry[] }>(file);
  return index.manifests.find((m) => m.platform.architecture === "arm64")!.digest;
}

describe("versions sources against recorded answers", () => {
  let upstream: FakeUpstream;
  const timeoutMs = 5000;
  const ecr = (): { base: string; timeoutMs: number } => ({ base: upstream.url, timeoutMs });

  beforeEach(async () => {
    upstream = await startUpstream(recordedRoutes());
  });
  afterEach(async () => {
    await upstream.close();
  });

  it("reads the latest exiftool-vendored.pl from the npm dist-tags", async () => {
    const latest = await latestNpmVersion(
      `${upstream.url}/npm/`,
      "exiftool-vendored.pl",
      timeoutMs,
    );
    expect(latest).to.equal(fixtureJson<{ latest: string }>("npm/dist-tags.json").latest);
  });

  it("reads exiftool.org's ver.txt", async () => {
    expect(await latestExiftoolOrgVersion(`${upstream.url}/exiftool`, timeoutMs)).to.match(
      /^\d+\.\d+$/,
    );
  });

  it("picks the highest patch of the highest even Perl minor, skipping developer releases", async () => {
    const release = await latestPerlRelease(`${upstream.url}/metacpan`, timeoutMs);
    const expected = recordedHit("perl-5.42.1");
    expect(release).to.deep.equal({
      version: "5.42.1",
      sha256: expected.checksum_sha256,
      downloadUrl: expected.download_url,
    });
    const search = upstream.requests.find((r) => r.key === "POST /metacpan/v1/release/_search")!;
    expect(JSON.parse(search.body)).to.have.nested.property(
      "query.bool.must[0].term.distribution",
      "perl",
    );
  });

  it("also understands the Elasticsearch `fields` form with array values", () => {
    const json = {
      hits: {
        hits: [
          {
            fields: {
              name: ["perl-5.40.3"],
              maturity: ["released"],
              checksum_sha256: ["a".repeat(64)],
              download_url: ["https://cpan.metacpan.org/authors/id/S/SH/SHAY/perl-5.40.3.tar.gz"],
            },
          },
        ],
      },
    };
    expect(pickMaintenanceRelease(json, "test").version).to.equal("5.40.3");
  });

  it("gets an anonymous token and sends it as a bearer token to the registry", async () => {
    const token = anonymousToken(ecr());
    const digest = await arm64Digest(ecr(), token, "24");
    expect(digest).to.equal(recordedArm64("ecr/manifest-list-24.json"));
    const manifestRequest = upstream.requests.find(
      (r) => r.key === "GET /v2/lambda/nodejs/manifests/24",
    )!;
    expect(manifestRequest.authorization).to.equal(`Bearer ${await token}`);
  });

  it("finds the arm64 digest in an OCI image index that also holds attestations", async () => {
    const digest = await arm64Digest(ecr(), anonymousToken(ecr()), "26");
    expect(digest).to.equal(recordedArm64("ecr/image-index-26.json"));
  });

  it("follows the tags list's Link header and keeps only majors still rebuilt", async () => {
    const majors = await lambdaNodeMajors(ecr(), anonymousToken(ecr()));
    expect(upstream.requests.filter((r) => r.key.includes("/tags/list"))).to.have.length(2);
    expect(majors.published).to.deep.equal([16, 18, 20, 22, 24, 26]);
    expect(majors.supported).to.deep.equal([20, 22, 24, 26]);
  });

  it("treats every bare major as supported when no dated tags exist", () => {
    expect(supportedMajors(["20", "22", "latest", "22-arm64"])).to.deep.equal({
      supported: [20, 22],
      published: [20, 22],
    });
  });

  it("names the source when the registry refuses the request", async () => {
    const error = await arm64Digest(ecr(), Promise.resolve("wrong"), "24").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SourceError);
    expect((error as Error).message).to.match(/^ECR Public.*HTTP 401/);
  });
});
