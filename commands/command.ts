// The one place that decides how every command reads its arguments and ends:
// `--help` prints the usage on stdout and exits 0, a bad argument exits 2
// naming it (usage on stderr), a failure exits 1 with its message. Arguments
// are read by node:util's parseArgs, strictly.
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A bad argument, found while parsing or later (a stack that does not exist): exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface CommandSpec<O extends Options> {
  /** How the user runs it, e.g. "npm run backfill": the prefix of every message. */
  name: string;
  usage: string;
  options: O;
  /** Whether it takes operands (files, URIs); they may also follow `--`. */
  positionals?: boolean;
  /** Hands everything after the first `--` over untouched (extract's ExifTool options). */
  passThrough?: boolean;
  /** Said after an unknown option's name. */
  unknownHint?: string;
}

export interface Parsed<O extends Options> {
  values: ReturnType<typeof parseArgs<{ options: O; strict: true }>>["values"];
  positionals: string[];
  /** After `--`, with passThrough. */
  rest: string[];
}

export interface CommandIo {
  /** stdout: the command's answer (and its usage on --help). */
  out: (text: string) => void;
  /** stderr: progress, warnings, errors. */
  err: (text: string) => void;
}

const PARSE_ERRORS = new Set([
  "ERR_PARSE_ARGS_UNKNOWN_OPTION",
  "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
  "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL",
]);

function parse<O extends Options>(spec: CommandSpec<O>, argv: string[]): Parsed<O> | "help" {
  const split = spec.passThrough ? argv.indexOf("--") : -1;
  const own = split < 0 ? argv : argv.slice(0, split);
  const rest = split < 0 ? [] : argv.slice(split + 1);
  if (own.includes("--help") || own.includes("-h")) return "help";
  try {
    const { values, positionals } = parseArgs({
      args: own,
      options: spec.options,
      allowPositionals: spec.positionals ?? false,
      strict: true,
    });
    return { values: values as Parsed<O>["values"], positionals, rest };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!code || !PARSE_ERRORS.has(code)) throw error;
    // node's advice on quoting positionals after `--` is noise here
    const message = (error as Error).message.replace(/\. To specify a positional.*$/s, "");
    const hint = code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && spec.unknownHint;
    throw new UsageError(hint ? `${message} (${hint})` : message);
  }
}

/**
 * Parses argv for spec and runs main with the result, turning --help, bad
 * arguments and failures into the exit codes every command shares.
 */
export async function runCommand<O extends Options>(
  spec: CommandSpec<O>,
  argv: string[],
  io: CommandIo,
  main: (args: Parsed<O>) => Promise<number> | number,
): Promise<number> {
  try {
    const args = parse(spec, argv);
    if (args === "help") {
      io.out(`${spec.usage}\n`);
      return 0;
    }
    return await main(args);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${spec.name}: ${error.message}\n${spec.usage}\n`);
      return 2;
    }
    io.err(`${spec.name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

/** The process's stdout and stderr, for a command run from the terminal. */
export const terminal: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Runs a command as the process: its exit code becomes the process's. */
export function runFromTerminal(command: (argv: string[]) => Promise<number>): void {
  // The pinned SDK runs on Node 20; its notice about later releases would open every run.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  command(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
      process.exit(1);
    },
  );
}

/** A path the user typed, from the directory they ran npm in (npm runs scripts from the project root). */
export function userPath(file: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.INIT_CWD ?? process.cwd(), file);
}

/** An integer option within [min, max], or the fallback when absent. */
export function integerOption(
  text: string | undefined,
  name: string,
  min: number,
  max: number,
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** A positive number of seconds, or the fallback when absent. */
export function secondsOption(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${name} must be a positive number of seconds, got "${text}"`);
  }
  return value;
}
