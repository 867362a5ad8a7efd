// Collects one command's output from a stream until the worker's end marker
// ("\n{ready<N>}\n", written by the worker's parent once the child that ran
// the command has exited). The marker starts with its own line break, so it
// ends the output even when a child died in the middle of a line; the text
// before it is the command's output, byte for byte. Each chunk is scanned
// once, with just enough of the previous one to catch a split marker.

export class MarkedOutput {
  private readonly parts: Buffer[] = [];
  private length = 0;
  private tail: Buffer = Buffer.alloc(0);
  private result?: Buffer;
  /** More than `limit` bytes came: those past it were not kept. */
  overflowed = false;

  constructor(
    private readonly marker: Buffer,
    private readonly limit = Infinity,
  ) {}

  get done(): boolean {
    return this.result !== undefined;
  }

  /** Adds a chunk; true once the marker has arrived (nothing follows it until the next command). */
  push(chunk: Buffer): boolean {
    if (this.result) return true;
    const window = this.tail.length ? Buffer.concat([this.tail, chunk]) : chunk;
    const windowStart = this.length - this.tail.length;
    const at = window.indexOf(this.marker);
    const end = at >= 0 ? windowStart + at : this.length + chunk.length;
    // what is kept stays within the limit, whatever a child prints
    const room = Math.max(0, this.limit - this.length);
    if (end - this.length > room) this.overflowed = true;
    this.parts.push(chunk.subarray(0, Math.min(chunk.length, room)));
    this.length += chunk.length;
    if (at >= 0) {
      this.result = Buffer.concat(this.parts).subarray(0, Math.min(end, this.limit));
      return true;
    }
    // a marker wholly inside the window was found already
    this.tail = window.subarray(Math.max(0, window.length - this.marker.length + 1));
    return false;
  }

  /** What came before the marker (or everything so far, if it has not come). */
  text(): string {
    return (this.result ?? Buffer.concat(this.parts)).toString("utf8");
  }
}
