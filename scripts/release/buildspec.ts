// Reads a CodeBuild buildspec (version 0.2) the way CodeBuild runs it: its
// plain environment variables and its phases' commands, in phase order.
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";

export const PHASES = ["install", "pre_build", "build", "post_build"] as const;
export type Phase = (typeof PHASES)[number];

export interface Command {
  phase: Phase;
  command: string;
}

export interface Buildspec {
  variables: Record<string, string>;
  commands: Command[];
  /** `artifacts.files`, when the stage hands files on. */
  artifacts: string[];
  runtimeVersions: Record<string, string>;
}

interface RawBuildspec {
  version?: unknown;
  env?: { shell?: string; variables?: Record<string, unknown> };
  phases?: Partial<
    Record<Phase, { commands?: unknown[]; "runtime-versions"?: Record<string, unknown> }>
  >;
  artifacts?: { files?: string[] };
}

export function parseBuildspec(text: string, file: string): Buildspec {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  const raw = doc.toJS() as RawBuildspec;
  if (raw.version !== 0.2) throw new Error(`${file}: version must be 0.2`);
  // CodeBuild's default shell is sh; the commands use bash features
  if (raw.env?.shell !== "bash") throw new Error(`${file}: env.shell must be bash`);
  const commands: Command[] = [];
  for (const phase of PHASES) {
    for (const command of raw.phases?.[phase]?.commands ?? []) {
      if (typeof command !== "string") {
        throw new Error(
          `${file}: ${phase} has a command that YAML reads as ${JSON.stringify(command)}, not a string (quote it)`,
        );
      }
      commands.push({ phase, command: command.trim() });
    }
  }
  return {
    variables: Object.fromEntries(
      Object.entries(raw.env?.variables ?? {}).map(([name, value]) => [name, String(value)]),
    ),
    commands,
    artifacts: raw.artifacts?.files ?? [],
    runtimeVersions: Object.fromEntries(
      Object.entries(raw.phases?.install?.["runtime-versions"] ?? {}).map(([k, v]) => [
        k,
        String(v),
      ]),
    ),
  };
}

export function loadBuildspec(file: string): Buildspec {
  return parseBuildspec(readFileSync(file, "utf8"), file);
}

/** The npm scripts a command starts: `npm run [flags] NAME`, `npm test`, `npm start`. */
export function npmScriptsCalled(command: string): string[] {
  return [
    ...command.matchAll(/\bnpm\s+(?:run(?:-script)?\s+(?:--?\S+\s+)*(\S+)|(test|start)\b)/g),
  ].map((match) => (match[1] ?? match[2])!);
}

/** What a command needs beyond this machine, if anything: why it would be skipped locally. */
export type Need = "aws" | "docker";

export function needsOf(command: string): Need | undefined {
  // AWS: the CLI, or a push to ECR (which needs the ECR login)
  if (/(^|[\s;&|($])aws\s/.test(command) || /\bdocker\s+push\b/.test(command)) return "aws";
  if (/\bdocker\b/.test(command) || npmScriptsCalled(command).includes("test:image"))
    return "docker";
  return undefined;
}
