// One `exiftool -stay_open True -@ -` process reading local files: Perl and
// ExifTool loaded once, then file after file in the same interpreter, as the
// engine's worker did before it forked a child per object (issue 10). It is
// the speed that isolation gives up, never a reference for output: ExifTool
// keeps state from file to file, so what it prints for a file may depend on
// what it read before.
import { once } from "node:events";
import { MarkedOutput } from "../function/exiftool/marked-output";
import { startExiftool } from "./exiftool-process";

export class StayOpenExiftool {
  private readonly child = startExiftool(["-stay_open", "True", "-@", "-"]);
  private command = 0;
  private pending?: { output: MarkedOutput; resolve(text: string): void; reject(e: Error): void };
  private exited = false;

  constructor() {
    const { child } = this;
    // a file's warnings go to stderr, which nothing here reads
    child.stderr.resume();
    child.stdout.on("data", (chunk: Buffer) => {
      const pending = this.pending;
      if (pending?.output.push(chunk)) {
        this.pending = undefined;
        pending.resolve(pending.output.text());
      }
    });
    child.on("exit", (code, signal) => {
      this.exited = true;
      this.pending?.reject(new Error(`exiftool -stay_open exited (${signal ?? `code ${code}`})`));
      this.pending = undefined;
    });
  }

  /** What `exiftool -json PATH` prints in this process, after every file it read before. */
  json(path: string): Promise<string> {
    if (this.pending) throw new Error("one command at a time per exiftool -stay_open process");
    if (this.exited) return Promise.reject(new Error("exiftool -stay_open has exited"));
    const id = ++this.command;
    // ExifTool ends each command's output with "{readyN}\n"; the line break
    // pushed first lets the marker end an empty output too
    const output = new MarkedOutput(Buffer.from(`\n{ready${id}}\n`));
    output.push(Buffer.from("\n"));
    const done = new Promise<string>((resolve, reject) => {
      this.pending = { output, resolve, reject };
    });
    // one argument per line: the corpus paths hold no line breaks
    this.child.stdin.write(`-json\n${path}\n-execute${id}\n`);
    return done;
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const exit = once(this.child, "exit");
    this.child.stdin.end("-stay_open\nFalse\n");
    await exit;
  }
}
