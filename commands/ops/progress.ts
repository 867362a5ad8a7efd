// One progress line for long-running operations: redrawn in place on a
// terminal, printed only when it changes otherwise (CI logs, redirects).

export interface ProgressOutput {
  write(text: string): void;
  isTTY?: boolean;
}

export function progressBar(done: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(ratio * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} (${Math.floor(ratio * 100)}%)`;
}

export class ProgressLine {
  private last = "";

  constructor(private readonly out: ProgressOutput) {}

  show(line: string): void {
    if (line === this.last) return;
    this.last = line;
    this.out.write(this.out.isTTY ? `\r\x1b[K${line}` : `${line}\n`);
  }

  /** Ends the redrawn line so that what follows starts on a line of its own. */
  end(): void {
    if (this.out.isTTY && this.last !== "") this.out.write("\n");
    this.last = "";
  }
}
