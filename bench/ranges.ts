// The union of byte ranges read from a file: what "bytes touched" means for
// the lower bound, since ExifTool re-reads some ranges and a re-read costs a
// local file nothing but would cost S3 a request.

/** Half-open [start, end) intervals, kept sorted and merged. */
export class RangeUnion {
  private ranges: [number, number][] = [];

  add(start: number, end: number): void {
    if (end <= start) return;
    const kept: [number, number][] = [];
    let merged: [number, number] = [start, end];
    for (const range of this.ranges) {
      // touching ranges merge too: together they are one contiguous read
      if (range[1] < merged[0] || range[0] > merged[1]) kept.push(range);
      else merged = [Math.min(range[0], merged[0]), Math.max(range[1], merged[1])];
    }
    kept.push(merged);
    kept.sort((a, b) => a[0] - b[0]);
    this.ranges = kept;
  }

  get total(): number {
    return this.ranges.reduce((sum, [start, end]) => sum + end - start, 0);
  }

  get list(): readonly (readonly [number, number])[] {
    return this.ranges;
  }
}
