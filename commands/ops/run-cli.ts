// The operations commands' lines: answers on stdout, progress and errors on
// stderr, one line at a time (tests collect them).
import type { CommandIo } from "../command";
import { runFromTerminal } from "../command";
import type { ProgressOutput } from "./progress";

export interface CliIo {
  print: (line: string) => void;
  progress: ProgressOutput;
  error: (line: string) => void;
}

/** The shared command runner's text, as lines. */
export const linesOf = (io: CliIo): CommandIo => ({
  out: (text) => io.print(text.replace(/\n$/, "")),
  err: (text) => io.error(text.replace(/\n$/, "")),
});

export function runCli(main: (argv: string[], io: CliIo) => Promise<number>): void {
  runFromTerminal((argv) =>
    main(argv, {
      print: (line) => process.stdout.write(`${line}\n`),
      progress: process.stderr,
      error: (line) => process.stderr.write(`${line}\n`),
    }),
  );
}
