// All-or-nothing update of the stack file, package.json and the lockfile:
// every file is snapshotted first and put back byte for byte if any step fails.
import { spawn } from "node:child_process";
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { applyPins, type Pins } from "./pins";
import { EXIFTOOL_PACKAGE } from "./sources";

/** Runs npm with the given arguments in `cwd`; rejects if it fails. */
export type RunNpm = (args: string[], cwd: string) => Promise<void>;

export const runNpm: RunNpm = (args, cwd) =>
  new Promise((resolve, reject) => {
    // npm's chatter goes to stderr so stdout stays the report
    const child = spawn("npm", args, { cwd, stdio: ["ignore", 2, 2] });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`npm ${args.join(" ")} failed (${signal ?? `exit ${code}`})`)),
    );
  });

export function dependencyVersion(packageJsonText: string): string | undefined {
  const json = JSON.parse(packageJsonText) as { dependencies?: Record<string, string> };
  return json.dependencies?.[EXIFTOOL_PACKAGE];
}

function writeAtomic(file: string, text: string): void {
  const temp = `${file}.versions-tmp`;
  writeFileSync(temp, text);
  renameSync(temp, file);
}

export interface UpdateRequest {
  root: string;
  stackFile: string;
  changes: Partial<Pins>;
  npmVersion?: string;
  runNpm: RunNpm;
}

export async function applyUpdate(request: UpdateRequest): Promise<void> {
  const { root, stackFile, changes, npmVersion } = request;
  const files = [stackFile, join(root, "package.json"), join(root, "package-lock.json")];
  const snapshot = new Map(
    files.map((file) => [file, existsSync(file) ? readFileSync(file) : null]),
  );
  try {
    // computed before anything is touched, so a stack file we cannot edit
    // fails the run while every file is still as it was
    const original = snapshot.get(stackFile);
    if (!original) throw new Error(`${stackFile} not found`);
    const stackText = applyPins(original.toString("utf8"), changes, stackFile);
    if (npmVersion !== undefined) {
      await request.runNpm(["install", "--save-exact", `${EXIFTOOL_PACKAGE}@${npmVersion}`], root);
      const installed = dependencyVersion(readFileSync(join(root, "package.json"), "utf8"));
      if (installed !== npmVersion) {
        throw new Error(
          `npm install left ${EXIFTOOL_PACKAGE} at ${installed ?? "nothing"}, not ${npmVersion}`,
        );
      }
    }
    if (Object.keys(changes).length > 0) writeAtomic(stackFile, stackText);
  } catch (error) {
    for (const [file, bytes] of snapshot) {
      if (bytes === null) {
        if (existsSync(file)) unlinkSync(file);
        continue;
      }
      if (!existsSync(file) || !readFileSync(file).equals(bytes)) writeFileSync(file, bytes);
    }
    if (npmVersion !== undefined) {
      // npm install may have changed node_modules before the failure: put the
      // pinned ExifTool back from the restored lockfile, or say how to
      await request.runNpm(["ci"], root).catch((restoreError: unknown) => {
        throw new Error(
          `${(error as Error).message}; restoring node_modules failed too (${String(restoreError)}): run npm ci`,
        );
      });
    }
    throw error;
  }
}
