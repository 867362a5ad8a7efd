// CPU time by side, from /proc (Linux): this Node process, the ExifTool
// processes it started (live workers and exited ones alike), and the S3
// process. Over a throughput run it shows which side used the 2 cores.
import { readdirSync, readFileSync } from "node:fs";

export interface CpuSplit {
  nodeMs: number;
  exiftoolMs: number;
  s3Ms: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** utime, stime, cutime, cstime of a process, in ms; undefined once it is gone. */
function times(pid: number | "self"): number[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // fields after the command name, which may itself hold spaces and parentheses
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [fields[11], fields[12], fields[13], fields[14]].map((f) => Number(f) * TICK_MS);
  } catch {
    return undefined;
  }
}

/** A process's own CPU (user and system), in ms; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  const [user = 0, system = 0] = times(pid) ?? [];
  return user + system;
}

function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = (() => {
      try {
        return readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        return "";
      }
    })();
    const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    if (parent === pid) found.push(Number(entry));
  }
  return found;
}

/** CPU used so far; the difference of two snapshots is a run's. */
export function cpuSnapshot(s3Pid: number): CpuSplit {
  const usage = process.cpuUsage();
  const self = times("self") ?? [0, 0, 0, 0];
  // exited children were reaped into this process's cutime and cstime
  let exiftoolMs = self[2] + self[3];
  for (const pid of childrenOf(process.pid)) {
    if (pid === s3Pid) continue;
    const [u = 0, s = 0, cu = 0, cs = 0] = times(pid) ?? [];
    exiftoolMs += u + s + cu + cs;
  }
  const s3 = times(s3Pid) ?? [0, 0, 0, 0];
  return {
    nodeMs: (usage.user + usage.system) / 1000,
    exiftoolMs,
    s3Ms: s3[0] + s3[1] + s3[2] + s3[3],
  };
}

export function cpuSince(before: CpuSplit, after: CpuSplit): CpuSplit {
  return {
    nodeMs: after.nodeMs - before.nodeMs,
    exiftoolMs: after.exiftoolMs - before.exiftoolMs,
    s3Ms: after.s3Ms - before.s3Ms,
  };
}
