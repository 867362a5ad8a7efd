// The version pins live in the stack config (Pulumi.<stack>.yaml). Edits are
// spliced into the original text at the positions the YAML parser reports,
// so comments, key order, quoting and every other byte stay as they were.
import { isMap, isScalar, parse, parseDocument, Scalar } from "yaml";

export const PROJECT = "s3-exiftool";

export interface Pins {
  exiftoolVersion: string;
  nodeMajor: number;
  baseImageDigest: string;
  perlSource: "system" | "source";
  perlVersion: string;
  perlSha256: string;
}

export type PinKey = keyof Pins;

export const PIN_KEYS: readonly PinKey[] = [
  "exiftoolVersion",
  "nodeMajor",
  "baseImageDigest",
  "perlSource",
  "perlVersion",
  "perlSha256",
];

export class PinsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PinsError";
  }
}

export function stackFileName(stack: string): string {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new PinsError(`invalid stack name ${JSON.stringify(stack)}`);
  return `Pulumi.${stack}.yaml`;
}

const CHECKS: Record<PinKey, (value: unknown) => boolean> = {
  exiftoolVersion: (v) => typeof v === "string" && /^\d+\.\d+\.\d+$/.test(v),
  nodeMajor: (v) => Number.isInteger(typeof v === "string" ? Number(v) : v) && String(v) !== "",
  baseImageDigest: (v) => typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v),
  perlSource: (v) => v === "system" || v === "source",
  perlVersion: (v) => typeof v === "string" && /^5\.\d+\.\d+$/.test(v),
  perlSha256: (v) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v),
};

function configScalars(text: string, file: string): Map<PinKey, Scalar> {
  const doc = parseDocument(text);
  const [firstError] = doc.errors;
  if (firstError) throw new PinsError(`${file} is not valid YAML: ${firstError.message}`);
  const config = doc.get("config", true);
  if (!isMap(config)) throw new PinsError(`${file} has no config: map`);
  const found = new Map<PinKey, Scalar>();
  for (const pair of config.items) {
    const key = isScalar(pair.key) ? pair.key.value : undefined;
    if (typeof key !== "string" || !key.startsWith(`${PROJECT}:`)) continue;
    const name = key.slice(PROJECT.length + 1) as PinKey;
    if (!PIN_KEYS.includes(name)) continue;
    if (!isScalar(pair.value)) {
      throw new PinsError(`${file}: ${key} must be a plain value`);
    }
    found.set(name, pair.value);
  }
  return found;
}

export function readPins(text: string, file: string): Pins {
  const scalars = configScalars(text, file);
  const values: Record<string, unknown> = {};
  for (const key of PIN_KEYS) {
    const node = scalars.get(key);
    if (!node) throw new PinsError(`${file} has no config key ${PROJECT}:${key}`);
    if (!CHECKS[key](node.value)) {
      throw new PinsError(
        `${file}: ${PROJECT}:${key} has an invalid value ${JSON.stringify(node.value)}`,
      );
    }
    values[key] = key === "nodeMajor" ? Number(node.value) : node.value;
  }
  return values as unknown as Pins;
}

// Writes the new value in the style the file already uses; a plain scalar that
// would read back as something else (e.g. 5.40 as a number) gets quoted.
function render(node: Scalar, value: string | number): string {
  const text = String(value);
  if (node.type === Scalar.QUOTE_SINGLE) return `'${text.replace(/'/g, "''")}'`;
  if (node.type === Scalar.QUOTE_DOUBLE) return JSON.stringify(text);
  const wanted = typeof node.value === "number" ? Number(text) : text;
  return parse(text) === wanted ? text : JSON.stringify(text);
}

/** Returns `text` with the given pins replaced and every other byte kept. */
export function applyPins(text: string, changes: Partial<Pins>, file: string): string {
  const scalars = configScalars(text, file);
  const edits: { start: number; end: number; text: string }[] = [];
  for (const [key, value] of Object.entries(changes) as [PinKey, string | number][]) {
    const node = scalars.get(key);
    if (!node?.range) throw new PinsError(`${file} has no config key ${PROJECT}:${key}`);
    edits.push({ start: node.range[0], end: node.range[1], text: render(node, value) });
  }
  let out = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  // never hand back a file that does not say exactly what was asked
  const reread = readPins(out, file);
  for (const [key, value] of Object.entries(changes) as [PinKey, unknown][]) {
    if (reread[key] !== value) {
      throw new PinsError(`${file}: writing ${PROJECT}:${key} did not round-trip`);
    }
  }
  return out;
}
