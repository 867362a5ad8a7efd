import { expect } from "chai";
import { docx, pdf } from "../../bench/more-synthetic";
import { largeFiles, sizeLabel } from "../../bench/corpus";

function whole(file: { chunks(): Iterable<Buffer> }): Buffer {
  return Buffer.concat([...file.chunks()]);
}

describe("bench: generated files", () => {
  it("writes a PDF of the exact size whose startxref points at its xref table", () => {
    const data = whole(pdf(300_000));
    expect(data.length).to.equal(300_000);
    const text = data.toString("latin1");
    const xref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
    expect(text.slice(xref, xref + 5)).to.equal("xref\n");
    expect(text.indexOf("/Info 5 0 R")).to.be.greaterThan(290_000);
  });

  it("writes a ZIP of the exact size with core.xml after the large member and the directory last", () => {
    const data = whole(docx(300_000));
    expect(data.length).to.equal(300_000);
    const end = data.subarray(data.length - 22);
    expect(end.readUInt32LE(0)).to.equal(0x06054b50);
    expect(end.readUInt16LE(10)).to.equal(4);
    const directory = end.readUInt32LE(16);
    expect(data.readUInt32LE(directory)).to.equal(0x02014b50);
    expect(data.toString("latin1").lastIndexOf("docProps/core.xml")).to.be.greaterThan(299_000);
  });

  it("names cached files after their size", () => {
    expect(sizeLabel(1024 ** 3)).to.equal("1GiB");
    expect(largeFiles(1 / 20).map((f) => f.key)).to.include("moov-last-51.2MiB.m4a");
  });
});
