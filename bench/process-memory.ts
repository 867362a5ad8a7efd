// Peak resident memory of a child process, from /proc (Linux only, as on
// Lambda). VmHWM is the kernel's own high-water mark of the process, so a
// poll only has to catch the process alive: a late poll loses nothing but the
// growth in its last interval.
import { readFileSync } from "node:fs";

export function highWaterMarkBytes(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Polls VmHWM until stopped; `peak` is the last (hence largest) value seen. */
export function watchPeakRss(pid: number, everyMs = 5): { stop(): number } {
  let peak = highWaterMarkBytes(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, highWaterMarkBytes(pid) ?? 0);
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, highWaterMarkBytes(pid) ?? 0);
      return peak;
    },
  };
}
