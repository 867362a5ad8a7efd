// The machine a run came from, for the report: figures mean little without it.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { perlPath } from "../function/exiftool/locate";
import type { Machine } from "./results";

export function describeMachine(exiftool: string): Machine {
  let perl = "unknown";
  try {
    perl = execFileSync(perlPath(), ["-e", "print $^V"], { encoding: "utf8" });
  } catch {
    // reported as unknown: the run itself will fail louder without Perl
  }
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    perl,
    exiftool,
    date: new Date().toISOString(),
    loadAverage: [os.loadavg()[0], os.loadavg()[0]],
  };
}
