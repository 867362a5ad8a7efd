// The annotation table's dynamic provider, run as the Pulumi engine runs it,
// against an endpoint on 127.0.0.1 that records what the real S3 client sends.
import { expect } from "chai";
import { annotationTableProvider } from "../../infra/annotation-table";
import { RecordingEndpoint } from "../support/recording-endpoint";

const ROLE = "arn:aws:iam::111122223333:role/s3-exiftool-unit-metadata-annotations";
const INPUTS = { bucket: "uploads-a1b2c3d", region: "eu-west-1", roleArn: ROLE };

describe("annotation table (dynamic resource)", () => {
  let endpoint: RecordingEndpoint;
  const saved = { ...process.env };

  before(async () => {
    endpoint = await new RecordingEndpoint(() => ({
      contentType: "application/xml",
      body: "",
    })).start();
    // the provider builds its own client, from the environment as the engine's process has it
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: endpoint.url,
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    delete process.env.AWS_PROFILE;
  });
  after(async () => {
    process.env = saved;
    await endpoint.stop();
  });
  beforeEach(() => endpoint.requests.splice(0));

  it("create enables the bucket's annotation table with the reader role", async () => {
    const created = await annotationTableProvider.create!(INPUTS);
    expect(created).to.deep.equal({ id: INPUTS.bucket, outs: INPUTS });
    expect(endpoint.requests).to.have.length(1);
    const [request] = endpoint.requests;
    expect(request!.method).to.equal("PUT");
    expect(request!.path).to.equal(`/${INPUTS.bucket}/?metadataAnnotationTable=`);
    expect(request!.body).to.match(
      new RegExp(
        "<AnnotationTableConfiguration[^>]*><ConfigurationState>ENABLED</ConfigurationState>" +
          `<Role>${ROLE}</Role></AnnotationTableConfiguration>`,
      ),
    );
  });

  it("delete disables it, naming no role", async () => {
    await annotationTableProvider.delete!(INPUTS.bucket, INPUTS);
    const [request] = endpoint.requests;
    expect(request!.body).to.match(
      /<AnnotationTableConfiguration[^>]*><ConfigurationState>DISABLED<\/ConfigurationState><\/AnnotationTableConfiguration>/,
    );
  });

  it("a new role is an update in place, another bucket a replacement", async () => {
    const roleChange = await annotationTableProvider.diff!(INPUTS.bucket, INPUTS, {
      ...INPUTS,
      roleArn: `${ROLE}-2`,
    });
    expect(roleChange).to.include({ changes: true });
    expect(roleChange.replaces).to.deep.equal([]);
    const bucketChange = await annotationTableProvider.diff!(INPUTS.bucket, INPUTS, {
      ...INPUTS,
      bucket: "other",
    });
    expect(bucketChange.replaces).to.deep.equal(["bucket"]);
    expect((await annotationTableProvider.diff!(INPUTS.bucket, INPUTS, INPUTS)).changes).to.equal(
      false,
    );
    await annotationTableProvider.update!(INPUTS.bucket, INPUTS, {
      ...INPUTS,
      roleArn: `${ROLE}-2`,
    });
    expect(endpoint.requests[0]!.body).to.include(`<Role>${ROLE}-2</Role>`);
  });

  it("an S3 refusal fails the operation with S3's error", async () => {
    const refusing = await new RecordingEndpoint(() => ({
      status: 400,
      contentType: "application/xml",
      body: "<Error><Code>InvalidRequest</Code><Message>no metadata configuration</Message></Error>",
    })).start();
    process.env.AWS_ENDPOINT_URL_S3 = refusing.url;
    try {
      const error = await annotationTableProvider.create!(INPUTS).catch((e: Error) => e);
      expect(error).to.be.instanceOf(Error);
      expect((error as Error).message).to.equal("no metadata configuration");
    } finally {
      process.env.AWS_ENDPOINT_URL_S3 = endpoint.url;
      await refusing.stop();
    }
  });
});
