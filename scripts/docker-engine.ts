// Whether a Docker engine answers here: `npm run test:image` and
// `npm run pipeline:local` skip their Docker steps, saying why, when none does.
import { spawnSync } from "node:child_process";

/** Why Docker commands cannot run here, or undefined when an engine answers. */
export function dockerUnavailable(): string | undefined {
  const probe = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], {
    encoding: "utf8",
    timeout: 30_000,
  });
  if (probe.error) return `docker client not usable (${probe.error.message})`;
  if (probe.status !== 0) {
    return `no Docker engine reachable: ${probe.stderr.trim().split("\n")[0]}`;
  }
  return undefined;
}
