// A deployed stack's outputs, as `pulumi stack output --json` prints them,
// or from a file holding that JSON (`--outputs FILE`), so that the tools can
// be run, and tested, without the Pulumi CLI.
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";

export type OutputsSource = { stack: string } | { file: string };

export class OutputsError extends Error {
  override readonly name = "OutputsError";
}

function pulumiStackOutput(stack: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // the stack name is an argument of its own, never parsed by a shell
    execFile(
      "pulumi",
      ["stack", "output", "--json", "--stack", stack],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") {
          reject(
            new OutputsError(
              "the Pulumi CLI is not on PATH: install it, or pass the JSON of " +
                "`pulumi stack output --json --stack NAME` with --outputs FILE",
            ),
          );
        } else if (error) {
          const detail = stderr.trim() || error.message;
          reject(new OutputsError(`pulumi stack output --stack ${stack} failed: ${detail}`));
        } else resolve(stdout);
      },
    );
  });
}

export async function readOutputs(source: OutputsSource): Promise<StackOutputs> {
  let text: string;
  let origin: string;
  if ("file" in source) {
    origin = source.file;
    try {
      text = await readFile(source.file, "utf8");
    } catch (error) {
      throw new OutputsError(`cannot read ${source.file}: ${(error as Error).message}`);
    }
  } else {
    origin = `stack ${source.stack}`;
    text = await pulumiStackOutput(source.stack);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OutputsError(`the outputs of ${origin} are not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new OutputsError(`the outputs of ${origin} are not a JSON object`);
  }
  return new StackOutputs(parsed as Record<string, unknown>, origin);
}

/** Typed access that names the missing or malformed output. */
export class StackOutputs {
  constructor(
    readonly values: Record<string, unknown>,
    readonly origin: string,
  ) {}

  string(name: string): string {
    const value = this.values[name];
    if (typeof value !== "string") {
      throw new OutputsError(
        `${this.origin} has no string output "${name}": deploy this version of the stack (pulumi up) first`,
      );
    }
    return value;
  }

  strings(name: string): string[] {
    const value = this.values[name];
    if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
      throw new OutputsError(
        `${this.origin} has no string-list output "${name}": deploy this version of the stack (pulumi up) first`,
      );
    }
    return value as string[];
  }
}
