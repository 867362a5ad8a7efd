// Powertools writes its JSON logs and EMF blocks to stdout and stderr.

/** Runs `fn` with stdout and stderr captured line by line. */
export async function capturingStdout<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; lines: string[] }> {
  const chunks: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write.bind(stream));
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof stream.write;
  }
  try {
    const value = await fn();
    return { value, lines: chunks.join("").split("\n").filter(Boolean) };
  } finally {
    streams.forEach((stream, i) => (stream.write = writes[i]));
  }
}

/** The JSON lines among `lines` (Powertools logs and EMF blocks). */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
}
