// A stored result's metadata, the CLI's output and the EventBridge detail
// carry ExifTool's JSON text unchanged: numbers such as 3.51360899930879e+20,
// 1.0000000000000001 or 1.10 would change if parsed and serialised again.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { expect } from "chai";
import { runExtract } from "../../commands/extract";
import type { HandlerRuntime } from "../../function/handler";
import { localHandler } from "../support/local-handler";
import { CORPUS_DIR } from "../../samples/synthetic";
import { comparableLines, exiftoolText } from "../support/local-exiftool";
import { startLocalS3, type LocalS3 } from "../support/local-s3";
import { lambdaContext, s3Notification, sqsEvent, sqsRecord } from "../support/sqs-event";
import { capturingStdout } from "../support/stdout";

const XMP = `<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
<rdf:Description rdf:about='' xmlns:xmp='http://ns.adobe.com/xap/1.0/' xmlns:dc='http://purl.org/dc/elements/1.1/'>
<xmp:Rating>1.0000000000000001</xmp:Rating><dc:format>1.10</dc:format>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end='w'?>
`;

describe("results keep ExifTool's JSON text", function () {
  this.timeout(120_000);
  let local: LocalS3;
  let runtime: HandlerRuntime;
  let dir: string;
  const files: Record<string, Buffer> = {
    "MRC.mrc": readFileSync(join(CORPUS_DIR, "MRC.mrc")),
    "numbers.xmp": Buffer.from(XMP),
  };

  before(async () => {
    local = await startLocalS3(["uploads", "results"]);
    dir = mkdtempSync(join(tmpdir(), "s3-exiftool-exact-"));
    for (const [name, body] of Object.entries(files)) {
      await local.put("uploads", name, body);
      writeFileSync(join(dir, name), body);
    }
    runtime = localHandler(local, { EXIFTOOL_WORKERS: "1" });
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await runtime.close();
    await local.stop();
  });

  it("stores each number as ExifTool printed it, the whole object equal to a fresh exiftool's", async () => {
    const event = sqsEvent(
      Object.keys(files).map((name) =>
        sqsRecord(s3Notification([{ bucket: "uploads", encodedKey: name }]), name),
      ),
    );
    const { value: response } = await capturingStdout(() =>
      runtime.handler(event, lambdaContext()),
    );
    expect(response.batchItemFailures).to.deep.equal([]);
    const stored = async (name: string): Promise<string> => {
      const object = await local.direct.send(
        new GetObjectCommand({ Bucket: "results", Key: `${name}.json` }),
      );
      return object.Body!.transformToString();
    };
    const mrc = await stored("MRC.mrc");
    expect(mrc).to.contain('"Dose": 3.51360899930879e+20');
    const xmp = await stored("numbers.xmp");
    expect(xmp).to.contain('"Rating": 1.0000000000000001');
    expect(xmp).to.contain('"Format": 1.10');
    for (const [name, text] of [
      ["MRC.mrc", mrc],
      ["numbers.xmp", xmp],
    ] as const) {
      const metadata = text.slice(text.indexOf('"metadata":') + '"metadata":'.length, -1);
      expect(comparableLines(metadata)).to.deep.equal(
        comparableLines(await exiftoolText(join(dir, name))),
      );
    }
  });

  it("prints ExifTool's text from npm run extract", async () => {
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    const code = await runExtract(["s3://uploads/MRC.mrc", "s3://uploads/numbers.xmp"], {
      stdout,
      stderr: new PassThrough(),
      env: { ...process.env, AWS_ENDPOINT_URL_S3: local.proxy.endpoint, AWS_REGION: "us-east-1" },
    });
    expect(code).to.equal(0);
    const out = Buffer.concat(chunks).toString();
    expect(out).to.contain('"Dose": 3.51360899930879e+20');
    expect(out).to.contain('"Rating": 1.0000000000000001');
    expect(JSON.parse(out)).to.have.length(2);
  });
});
