// Least-recently-used cache of fixed-size blocks of one object, capped in
// bytes so that a worker's memory stays flat whatever the object's size.

export class BlockCache {
  private readonly blocks = new Map<number, Buffer>();
  private bytes = 0;

  constructor(readonly capBytes: number) {}

  get(index: number): Buffer | undefined {
    const block = this.blocks.get(index);
    if (block) {
      // re-insert to mark as most recently used (Map keeps insertion order)
      this.blocks.delete(index);
      this.blocks.set(index, block);
    }
    return block;
  }

  has(index: number): boolean {
    return this.blocks.has(index);
  }

  set(index: number, block: Buffer): void {
    const old = this.blocks.get(index);
    if (old) {
      this.bytes -= old.length;
      this.blocks.delete(index);
    }
    this.blocks.set(index, block);
    this.bytes += block.length;
    for (const [oldest, evicted] of this.blocks) {
      if (this.bytes <= this.capBytes || oldest === index) break;
      this.blocks.delete(oldest);
      this.bytes -= evicted.length;
    }
  }
}
