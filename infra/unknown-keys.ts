// Stack config keys this program does not read. Pulumi hands a program every
// key of its stack file, so a misspelled one (`batchsize`) would otherwise be
// ignored without a word and its default used instead.
import { ConfigError, PROJECT } from "./config";

/** Edit distance between two keys, case-insensitive (`batchsize` is 0 from `batchSize`). */
function distance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      const substitution = previous[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[y.length];
}

/** The known key nearest to `key`. */
export function closestKey(key: string, known: readonly string[]): string {
  return known.reduce((best, candidate) =>
    distance(key, candidate) < distance(key, best) ? candidate : best,
  );
}

/**
 * Refuses `<project>:<key>` entries whose key is not in `known`, naming each
 * with the closest known key and the file it came from. Keys of other
 * namespaces (`aws:region`) belong to providers and are left alone.
 */
export function checkKnownKeys(
  keys: Iterable<string>,
  known: readonly string[],
  file: string,
): void {
  const namespace = `${PROJECT}:`;
  const unknown = [...keys]
    .filter((key) => key.startsWith(namespace))
    .map((key) => key.slice(namespace.length))
    .filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const suggestion = (key: string) => `did you mean ${namespace}${closestKey(key, known)}?`;
  const [first, ...others] = unknown;
  const also = others.map((key) => `; also unknown: ${namespace}${key} (${suggestion(key)})`);
  throw new ConfigError(first, `unknown key in ${file}; ${suggestion(first)}${also.join("")}`);
}
