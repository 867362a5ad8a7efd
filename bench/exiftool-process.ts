// `exiftool` processes, run the ordinary way (a new Perl per call) as the
// baseline designs and the local reference run it, or kept open.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { exiftoolPath, perlPath } from "../function/exiftool/locate";
import { watchPeakRss } from "./process-memory";

export interface ExiftoolRun {
  stdout: string;
  stderr: string;
  code: number | null;
  /** VmHWM of the Perl process, polled while it ran. */
  peakRssBytes: number;
}

/** A new `exiftool ARGS` process, its stdio piped. */
export function startExiftool(args: readonly string[]): ChildProcessWithoutNullStreams {
  const child = spawn(perlPath(), [exiftoolPath(), ...args], { stdio: "pipe" });
  // exiftool may exit before it has read all its input: not an error here
  child.stdin.on("error", () => undefined);
  return child;
}

/** One exiftool run to its end: its output, exit code and peak memory. */
export function spawnExiftool(args: readonly string[]): {
  child: ChildProcessWithoutNullStreams;
  done: Promise<ExiftoolRun>;
} {
  const child = startExiftool(args);
  const memory = watchPeakRss(child.pid ?? -1);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
  const done = new Promise<ExiftoolRun>((resolve, reject) => {
    child.on("error", (error) => {
      memory.stop();
      reject(error);
    });
    let peak = 0;
    child.on("exit", () => (peak = memory.stop()));
    child.on("close", (code) =>
      resolve({
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
        code,
        peakRssBytes: peak,
      }),
    );
  });
  return { child, done };
}

/** exiftool -json prints an array; an unparsable print counts as no metadata. */
export function jsonEntries(stdout: string): Record<string, unknown>[] {
  try {
    return JSON.parse(stdout) as Record<string, unknown>[];
  } catch {
    return [];
  }
}
