// Collects one command's output from a stream until exiftool's end marker
// (`{ready<N>}` at a line start: JSON never holds a raw line break inside a
// value, so such a line is exiftool's own). Each chunk is scanned once, with
// just enough of the previous one to catch a marker split across chunks.

export class MarkedOutput {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private tail: Buffer = Buffer.alloc(0);
  private result?: Buffer;

  constructor(private readonly marker: Buffer) {}

  get done(): boolean {
    return this.result !== undefined;
  }

  /** Adds a chunk; true once the marker has arrived (what follows it is not this command's). */
  push(chunk: Buffer): boolean {
    if (this.result) return true;
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const windowStart = this.length - this.tail.length;
    for (let at = window.indexOf(this.marker); at >= 0; at = window.indexOf(this.marker, at + 1)) {
      const lineStart = windowStart + at === 0 || window[at - 1] === 0x0a;
      if (!lineStart) continue;
      this.parts.push(chunk);
      this.result = Buffer.concat(this.parts).subarray(0, windowStart + at);
      return true;
    }
    this.parts.push(chunk);
    this.length += chunk.length;
    // the marker plus the byte before it: a marker wholly inside was found already
    this.tail = window.subarray(Math.max(0, window.length - this.marker.length - 1));
    return false;
  }

  /** What came before the marker (or everything so far, if it has not come). */
  text(): string {
    return (this.result ?? Buffer.concat(this.parts)).toString("utf8");
  }
}
