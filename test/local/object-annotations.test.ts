// The local S3's annotation API, driven with the SDK's own commands: what S3
// documents for PutObjectAnnotation, GetObjectAnnotation,
// ListObjectAnnotations and DeleteObjectAnnotation, and never the
// emulator's reading of `?annotation` as a plain PutObject.
import {
  DeleteObjectAnnotationCommand,
  DeleteObjectCommand,
  GetObjectAnnotationCommand,
  GetObjectCommand,
  ListObjectAnnotationsCommand,
  PutObjectAnnotationCommand,
  PutObjectCommand,
  type PutObjectAnnotationCommandInput,
} from "@aws-sdk/client-s3";
import { expect } from "chai";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

describe("local S3 annotations", () => {
  let local: LocalS3;
  const Bucket = "uploads";

  before(async () => {
    local = await startLocalS3([Bucket]);
  });
  after(() => local.stop());

  const put = (input: Partial<PutObjectAnnotationCommandInput> & { Key: string }) =>
    local.s3.send(
      new PutObjectAnnotationCommand({
        Bucket,
        AnnotationName: "exiftool",
        AnnotationPayload: '{"a":1}',
        ...input,
      }),
    );
  const get = (Key: string, AnnotationName = "exiftool", VersionId?: string) =>
    local.s3
      .send(new GetObjectAnnotationCommand({ Bucket, Key, AnnotationName, VersionId }))
      .then((answer) => answer.AnnotationPayload!.transformToString());
  const objectText = (Key: string) =>
    local.s3
      .send(new GetObjectCommand({ Bucket, Key }))
      .then((answer) => answer.Body!.transformToString());
  /** The error name S3 answered with, or "none". */
  const refusal = (sending: Promise<unknown>) =>
    sending.then(
      () => "none",
      (error: { name: string; $metadata?: { httpStatusCode?: number } }) =>
        `${error.name} ${error.$metadata?.httpStatusCode}`,
    );

  it("keeps the object's bytes and serves the payload back, never forwarding the request", async () => {
    await local.put(Bucket, "photo.jpg", Buffer.from("the object's own bytes"));
    const before = local.proxy.log.length;
    await put({ Key: "photo.jpg", AnnotationPayload: '{"Make":"Canon"}' });
    expect(await get("photo.jpg")).to.equal('{"Make":"Canon"}');
    expect(await objectText("photo.jpg")).to.equal("the object's own bytes");
    const annotationCalls = local.proxy.log.slice(before).filter((e) => e.query.has("annotation"));
    expect(annotationCalls.map((e) => `${e.method} ${e.status}`)).to.deep.equal([
      "PUT 200",
      "GET 200",
    ]);
  });

  it("refuses names S3's rules refuse, with S3's error codes", async () => {
    await local.put(Bucket, "named.jpg", Buffer.from("x"));
    for (const name of ["aws-meta", "AWSmeta", "s3.meta", "S3x", "a/b", "a b", "a:b"]) {
      expect(await refusal(put({ Key: "named.jpg", AnnotationName: name })), name).to.equal(
        "InvalidAnnotationName 400",
      );
    }
    expect(await refusal(put({ Key: "named.jpg", AnnotationName: "é".repeat(257) }))).to.equal(
      "AnnotationNameTooLong 400",
    );
    for (const name of ["exiftool", "ml.sentiment", "Métadonnées_2-b", "é".repeat(256)]) {
      expect(await refusal(put({ Key: "named.jpg", AnnotationName: name })), name).to.equal("none");
    }
  });

  it("takes 1 byte to 1 MiB of valid UTF-8: invalid UTF-8 is 415, more is refused", async () => {
    await local.put(Bucket, "sized.jpg", Buffer.from("x"));
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    expect(await refusal(put({ Key: "sized.jpg", AnnotationPayload: mib }))).to.equal("none");
    expect((await get("sized.jpg")).length).to.equal(1024 * 1024);
    expect(
      await refusal(
        put({ Key: "sized.jpg", AnnotationPayload: Buffer.concat([mib, mib.subarray(0, 1)]) }),
      ),
    ).to.equal("EntityTooLarge 400");
    expect(
      await refusal(
        put({ Key: "sized.jpg", AnnotationPayload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) }),
      ),
    ).to.equal("UnsupportedMediaType 415");
    expect(
      await refusal(put({ Key: "sized.jpg", AnnotationPayload: Buffer.from([0xed, 0xa0, 0x80]) })),
    ).to.equal("UnsupportedMediaType 415");
    // the refused writes left the stored one alone
    expect((await get("sized.jpg")).length).to.equal(1024 * 1024);
  });

  it("holds at most 1,000 annotations per object; replacing one still works", async function () {
    this.timeout(60_000);
    await local.put(Bucket, "full.jpg", Buffer.from("x"));
    for (let start = 0; start < 1000; start += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          put({ Key: "full.jpg", AnnotationName: `n${String(start + i).padStart(4, "0")}` }),
        ),
      );
    }
    expect(await refusal(put({ Key: "full.jpg", AnnotationName: "exiftool" }))).to.equal(
      "AnnotationLimitExceeded 400",
    );
    expect(
      await refusal(put({ Key: "full.jpg", AnnotationName: "n0007", AnnotationPayload: "new" })),
    ).to.equal("none");
    expect(await get("full.jpg", "n0007")).to.equal("new");
    const page = await local.s3.send(
      new ListObjectAnnotationsCommand({ Bucket, Key: "full.jpg", MaxAnnotationResults: 600 }),
    );
    expect(page.Annotations).to.have.length(600);
    const rest = await local.s3.send(
      new ListObjectAnnotationsCommand({
        Bucket,
        Key: "full.jpg",
        ContinuationToken: page.NextContinuationToken,
      }),
    );
    expect(rest.Annotations).to.have.length(400);
    expect(rest.NextContinuationToken).to.equal(undefined);
    expect(rest.Annotations![0]!.AnnotationName).to.equal("n0600");
  });

  it("lists by prefix with sizes, and deletes one annotation", async () => {
    await local.put(Bucket, "listed.jpg", Buffer.from("x"));
    await put({ Key: "listed.jpg", AnnotationName: "exiftool", AnnotationPayload: "12345" });
    await put({ Key: "listed.jpg", AnnotationName: "exiftool.pointer", AnnotationPayload: "1" });
    await put({ Key: "listed.jpg", AnnotationName: "other", AnnotationPayload: "1" });
    const listed = await local.s3.send(
      new ListObjectAnnotationsCommand({ Bucket, Key: "listed.jpg", AnnotationPrefix: "exif" }),
    );
    expect(listed.Annotations!.map((a) => [a.AnnotationName, a.Size])).to.deep.equal([
      ["exiftool", 5],
      ["exiftool.pointer", 1],
    ]);
    await local.s3.send(
      new DeleteObjectAnnotationCommand({ Bucket, Key: "listed.jpg", AnnotationName: "exiftool" }),
    );
    expect(await refusal(get("listed.jpg"))).to.equal("NoSuchAnnotation 404");
    expect(await get("listed.jpg", "other")).to.equal("1");
  });

  it("compares x-amz-object-if-match with the object's ETag", async () => {
    const { ETag } = await local.s3.send(
      new PutObjectCommand({ Bucket, Key: "pinned.jpg", Body: "version one" }),
    );
    expect(await refusal(put({ Key: "pinned.jpg", ObjectIfMatch: '"0123"' }))).to.equal(
      "PreconditionFailed 412",
    );
    expect(await refusal(put({ Key: "pinned.jpg", ObjectIfMatch: ETag }))).to.equal("none");
    await local.s3.send(new PutObjectCommand({ Bucket, Key: "pinned.jpg", Body: "version two" }));
    expect(await refusal(put({ Key: "pinned.jpg", ObjectIfMatch: ETag }))).to.equal(
      "PreconditionFailed 412",
    );
  });

  it("removes annotations with the object: overwritten, overwritten around the proxy, deleted", async () => {
    await local.s3.send(new PutObjectCommand({ Bucket, Key: "gone.jpg", Body: "one" }));
    await put({ Key: "gone.jpg" });
    await local.s3.send(new PutObjectCommand({ Bucket, Key: "gone.jpg", Body: "one" }));
    expect(await refusal(get("gone.jpg")), "same bytes, new object").to.equal(
      "NoSuchAnnotation 404",
    );

    await put({ Key: "gone.jpg" });
    await local.direct.send(new PutObjectCommand({ Bucket, Key: "gone.jpg", Body: "other bytes" }));
    expect(await refusal(get("gone.jpg")), "written around the proxy").to.equal(
      "NoSuchAnnotation 404",
    );

    await put({ Key: "gone.jpg" });
    await local.s3.send(new DeleteObjectCommand({ Bucket, Key: "gone.jpg" }));
    expect(await refusal(get("gone.jpg"))).to.equal("NoSuchKey 404");
    expect(await refusal(put({ Key: "gone.jpg" }))).to.equal("NoSuchKey 404");
    await local.s3.send(new PutObjectCommand({ Bucket, Key: "gone.jpg", Body: "one" }));
    expect(await refusal(get("gone.jpg")), "a re-upload starts bare").to.equal(
      "NoSuchAnnotation 404",
    );
  });

  it("knows one version per object (the emulator keeps none): another one is NoSuchVersion", async () => {
    await local.put(Bucket, "versioned.jpg", Buffer.from("x"));
    expect(await refusal(put({ Key: "versioned.jpg", VersionId: "null" }))).to.equal("none");
    expect(await get("versioned.jpg", "exiftool", "null")).to.equal('{"a":1}');
    expect(
      await refusal(put({ Key: "versioned.jpg", VersionId: "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd" })),
    ).to.equal("NoSuchVersion 404");
  });

  it("refuses annotations on an SSE-C object", async () => {
    await local.s3.send(
      new PutObjectCommand({
        Bucket,
        Key: "secret.jpg",
        Body: "x",
        SSECustomerAlgorithm: "AES256",
        SSECustomerKey: "k".repeat(32),
      }),
    );
    expect(await refusal(put({ Key: "secret.jpg" }))).to.equal("InvalidRequest 400");
  });
});
