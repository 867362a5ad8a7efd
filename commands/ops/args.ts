// The small command-line grammar the operations tools share: `--name value`,
// `--flag`, nothing positional, every unknown option an error.

export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface ParsedArgs {
  values: Map<string, string>;
  flags: Set<string>;
}

export function parseArgs(
  argv: string[],
  spec: { values: readonly string[]; flags: readonly string[] },
): ParsedArgs {
  const parsed: ParsedArgs = { values: new Map(), flags: new Set() };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.replace(/^--/, "");
    if (arg.startsWith("--") && spec.values.includes(name)) {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${arg} needs a value`);
      parsed.values.set(name, value);
    } else if (arg.startsWith("--") && spec.flags.includes(name)) parsed.flags.add(name);
    else throw new UsageError(`unknown argument ${arg}`);
  }
  return parsed;
}

/** A positive number of seconds, or the default. */
export function seconds(args: ParsedArgs, name: string, fallback: number): number {
  const text = args.values.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new UsageError(`--${name} must be a positive number of seconds, got "${text}"`);
  }
  return value;
}

/** Resolves after ms; the tools poll AWS at this pace. */
export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
