// Keys as `npm start` prints them on the console. A key is chosen by whoever
// uploads: printed raw, a newline in it would forge a line of its own, a
// terminal escape would rewrite the screen. Control characters (C0, DEL,
// C1), the Unicode line and paragraph separators, bidirectional overrides
// and the backslash itself print as escapes, so one key is one line and
// reads back unambiguously; every other key prints as it is.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const SHORT: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

export function printableKey(key: string): string {
  return key.replace(
    UNPRINTABLE,
    (char) => SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
