// Text formats are read line by line through the tied handle, with
// multi-byte line ends ("\r\n" in VCards): a line end split across the
// handle's internal chunks must still end the line.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { Extractor } from "../../function/extractor";
import { exiftoolJson, withoutLocalFileTags } from "../support/local-exiftool";
import { startLocalS3, type LocalS3 } from "../support/local-s3";

function vcard(noteLength: number): string {
  return [
    "BEGIN:VCARD",
    "VERSION:3.0",
    "FN:Line Reader",
    `NOTE:${"n".repeat(noteLength)}`,
    "TEL;TYPE=WORK:+1-555-0100",
    "EMAIL:reader@example.com",
    "END:VCARD",
    "",
  ].join("\r\n");
}

describe("line-based formats through the tied handle", function () {
  this.timeout(60_000);
  let local: LocalS3;
  const dir = mkdtempSync(join(tmpdir(), "s3-exiftool-lines-"));

  before(async () => {
    local = await startLocalS3(["lines"]);
  });
  after(async () => {
    await local.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("matches local exiftool whichever byte a CRLF falls on", async () => {
    // NOTE lines of every length around the 4096-byte chunk: one of them ends astride it
    const names: string[] = [];
    for (let length = 4080; length < 4100; length++) {
      const name = `note-${length}.vcf`;
      writeFileSync(join(dir, name), vcard(length));
      await local.put("lines", name, Buffer.from(vcard(length)));
      names.push(name);
    }
    const reference = await exiftoolJson(names.map((name) => join(dir, name)));
    const extractor = new Extractor({ s3: local.s3, workers: 1 });
    try {
      for (const name of names) {
        const { metadata } = await extractor.extract({ bucket: "lines", key: name });
        expect(metadata.Telephone ?? metadata.TelephoneWork, name).to.equal("+1-555-0100");
        expect(withoutLocalFileTags(metadata), name).to.deep.equal(
          withoutLocalFileTags(reference.get(name)!),
        );
      }
    } finally {
      await extractor.close();
    }
  });
});
