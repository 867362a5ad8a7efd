// Where Perl and the pinned ExifTool live: the image sets PERL_PATH and
// EXIFTOOL_PATH; on a developer machine Perl is on PATH and ExifTool comes
// from the exiftool-vendored.pl npm package.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

export function perlPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.PERL_PATH || "perl";
}

export function exiftoolPath(env: NodeJS.ProcessEnv = process.env): string {
  const path =
    env.EXIFTOOL_PATH ||
    join(dirname(require.resolve("exiftool-vendored.pl/package.json")), "bin", "exiftool");
  if (!existsSync(path)) {
    throw new Error(`ExifTool not found at ${path}: run npm ci, or set EXIFTOOL_PATH`);
  }
  return path;
}

/** The worker script sits next to this module, and next to the bundled handler. */
export function workerScriptPath(): string {
  return join(__dirname, "worker.pl");
}

export function missingPerlMessage(perl: string): string {
  return (
    `Perl not found (tried "${perl}"): ExifTool needs Perl 5. ` +
    `Install it (Debian/Ubuntu: apt-get install perl; Amazon Linux: dnf install perl) ` +
    `or set PERL_PATH to its executable.`
  );
}
