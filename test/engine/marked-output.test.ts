import { expect } from "chai";
import { MarkedOutput } from "../../function/exiftool/marked-output";

describe("exiftool output collection", () => {
  const marker = Buffer.from("\n{ready42}\n");

  it("finds a marker split across chunks, and keeps only what came before it", () => {
    const output = new MarkedOutput(marker);
    expect(output.push(Buffer.from('[{"a":1}]\n\n{rea'))).to.equal(false);
    expect(output.push(Buffer.from("dy42}\n"))).to.equal(true);
    expect(output.text()).to.equal('[{"a":1}]\n');
  });

  it("ends output cut off in the middle of a line", () => {
    const output = new MarkedOutput(marker);
    expect(output.push(Buffer.from('[{"Comment":"trunc'))).to.equal(false);
    expect(output.push(Buffer.from("\n{ready42}\n"))).to.equal(true);
    expect(output.text()).to.equal('[{"Comment":"trunc');
  });

  it("accepts an empty command output", () => {
    const output = new MarkedOutput(marker);
    expect(output.push(Buffer.from("\n{ready42}\n"))).to.equal(true);
    expect(output.text()).to.equal("");
  });

  it("scans byte by byte deliveries, and is not fooled by another command's marker", () => {
    const output = new MarkedOutput(marker);
    const all = Buffer.from("x\n{ready4}\n\n{ready42}\n");
    let done = false;
    for (const byte of all) done = output.push(Buffer.from([byte]));
    expect(done).to.equal(true);
    expect(output.text()).to.equal("x\n{ready4}\n");
  });
});

describe("exiftool output collection, bounded", () => {
  it("keeps at most its limit, says it overflowed, and still finds the marker", () => {
    const output = new MarkedOutput(Buffer.from("\n{ready7}\n"), 10);
    expect(output.push(Buffer.from("0123456789abcdef"))).to.equal(false);
    expect(output.overflowed).to.equal(true);
    expect(output.push(Buffer.from("ghij\n{ready7}\n"))).to.equal(true);
    expect(output.text()).to.equal("0123456789");
  });

  it("does not count the marker against the limit", () => {
    const output = new MarkedOutput(Buffer.from("\n{ready7}\n"), 4);
    expect(output.push(Buffer.from("abcd\n{ready7}\n"))).to.equal(true);
    expect(output.overflowed).to.equal(false);
    expect(output.text()).to.equal("abcd");
  });
});
