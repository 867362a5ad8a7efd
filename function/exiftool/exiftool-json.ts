// ExifTool's JSON for one file, kept as the text ExifTool printed: numbers
// such as 3.51360899930879e+20 or 1.0000000000000001 would change if parsed
// and serialised again. The parsed view is for reading fields, never for
// writing results.

export class ExifToolJson {
  private parsed?: Record<string, unknown>;

  /** `text` is one JSON object exactly as exiftool -json printed it. */
  constructor(readonly text: string) {}

  get value(): Record<string, unknown> {
    this.parsed ??= JSON.parse(this.text) as Record<string, unknown>;
    return this.parsed;
  }

  /**
   * The same object with SourceFile naming `uri`: ExifTool prints SourceFile
   * first, so only that member's value changes and every other byte stays.
   */
  withSourceFile(from: string, uri: string): ExifToolJson {
    const printed = `"SourceFile": ${JSON.stringify(from)}`;
    const at = this.text.indexOf(printed);
    if (at < 0) throw new Error(`exiftool's JSON has no SourceFile ${JSON.stringify(from)}`);
    const json = new ExifToolJson(
      this.text.slice(0, at) +
        `"SourceFile": ${JSON.stringify(uri)}` +
        this.text.slice(at + printed.length),
    );
    // the text was parsed already: the same object, SourceFile replaced in place
    if (this.parsed) json.parsed = { ...this.parsed, SourceFile: uri };
    return json;
  }

  /**
   * The single object of `exiftool -json` output for one file (`[{...}]`),
   * or an error that says what was printed instead.
   */
  static single(output: string): ExifToolJson {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new Error(`exiftool printed no JSON: ${output.trim().slice(0, 500)}`);
    }
    if (!Array.isArray(parsed) || parsed.length !== 1) {
      const count = Array.isArray(parsed) ? parsed.length : 0;
      throw new Error(`exiftool's output describes ${count} files, not just the object`);
    }
    const json = new ExifToolJson(output.slice(output.indexOf("[") + 1, output.lastIndexOf("]")));
    json.parsed = parsed[0] as Record<string, unknown>;
    return json;
  }

  /** An array of objects as exiftool -json prints several files. */
  static joinArray(objects: readonly ExifToolJson[]): string {
    return `[${objects.map((object) => object.text).join(",\n")}]\n`;
  }
}

/**
 * JSON.stringify(value, null, indent), except that every ExifToolJson in it
 * is written as its own text. Each is swapped for a token that JSON cannot
 * print unescaped from any string (it starts with a NUL), then put back.
 */
export function stringifyWithExifToolJson(value: unknown, indent?: number): string {
  const nonce = Math.random().toString(36).slice(2);
  const raw: string[] = [];
  const text = JSON.stringify(
    value,
    (_key, member: unknown) => {
      if (!(member instanceof ExifToolJson)) return member;
      raw.push(member.text);
      return `\u0000${nonce}:${raw.length - 1}`;
    },
    indent,
  );
  return text.replace(
    new RegExp(`"\\\\u0000${nonce}:(\\d+)"`, "g"),
    (_match, index: string) => raw[Number(index)]!,
  );
}
