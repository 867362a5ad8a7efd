// Where the engine's ExifTool CPU goes per object: the engine's workers run
// worker.pl unchanged under `perl -MWorkerBreakdown=LOG` (bench/WorkerBreakdown.pm),
// which appends each object's CPU by phase to LOG. PERL_PATH is the only way
// to pass Perl an option through the engine's own Extractor, so it points at
// a two-line script that adds it.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { perlPath } from "../function/exiftool/locate";

/** Means per object, in ms of CPU. */
export interface WorkerCpuBreakdown {
  objects: number;
  /** The parent inside fork(): copying its page tables. */
  forkMs: number;
  /** The parent's other work per object: the command, waitpid, the side channel's resync. */
  parentMs: number;
  /** The child from the fork to ImageInfo: the application's start, its options. */
  setupMs: number;
  /** ImageInfo: reading the object, its format's modules, the parse. */
  imageInfoMs: number;
  /** From ImageInfo to POSIX::_exit: the JSON, printed and flushed, END blocks. */
  outputMs: number;
  /** The kernel tearing the child down, after POSIX::_exit. */
  exitMs: number;
  /** The highest peak resident memory of a child (VmHWM: the parent's pages it shares count). */
  childPeakKiB: number;
}

/** Means of the objects both sides logged (a child killed before its exit logs nothing). */
export function parseBreakdown(log: string): WorkerCpuBreakdown {
  const child = new Map<string, number[]>();
  const parent = new Map<string, number[]>();
  for (const line of log.split("\n")) {
    const [side, pid, ...values] = line.split(" ");
    (side === "C" ? child : side === "P" ? parent : undefined)?.set(pid!, values.map(Number));
  }
  const sums = { forkMs: 0, parentMs: 0, setupMs: 0, imageInfoMs: 0, outputMs: 0, exitMs: 0 };
  let objects = 0;
  let childPeakKiB = 0;
  for (const [pid, [setup = 0, imageInfo = 0, output = 0, peak = 0] = []] of child) {
    const [fork = 0, total = 0, parentCpu = 0] = parent.get(pid) ?? [];
    if (!parent.has(pid)) continue;
    objects++;
    childPeakKiB = Math.max(childPeakKiB, peak);
    sums.forkMs += fork;
    sums.parentMs += parentCpu - fork;
    sums.setupMs += setup;
    sums.imageInfoMs += imageInfo;
    sums.outputMs += output;
    sums.exitMs += total - setup - imageInfo - output;
  }
  const mean = (ns: number): number => (objects ? ns / objects / 1e6 : 0);
  return {
    objects,
    forkMs: mean(sums.forkMs),
    parentMs: mean(sums.parentMs),
    setupMs: mean(sums.setupMs),
    imageInfoMs: mean(sums.imageInfoMs),
    outputMs: mean(sums.outputMs),
    exitMs: mean(sums.exitMs),
    childPeakKiB,
  };
}

/** A Perl that loads WorkerBreakdown, for the engine's workers, and the log it writes. */
export class BreakdownRecorder {
  private readonly dir = mkdtempSync(join(tmpdir(), "s3-exiftool-breakdown-"));
  private readonly log = join(this.dir, "cpu.log");
  /** The environment to start the engine's workers with. */
  readonly env: NodeJS.ProcessEnv;

  constructor() {
    const script = join(this.dir, "perl");
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    writeFileSync(
      script,
      `#!/bin/sh\nexec ${quote(perlPath())} -I${quote(__dirname)} -MWorkerBreakdown=${quote(this.log)} "$@"\n`,
    );
    chmodSync(script, 0o755);
    this.env = { ...process.env, PERL_PATH: script };
    this.reset();
  }

  /** Forgets what was logged so far (the warm-up). */
  reset(): void {
    writeFileSync(this.log, "");
  }

  read(): WorkerCpuBreakdown {
    return parseBreakdown(readFileSync(this.log, "utf8"));
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
