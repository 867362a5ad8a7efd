// Runs an operations command from the terminal: its lines on stdout, its
// progress and errors on stderr, its exit code as the process's.
import type { ProgressOutput } from "./progress";

export interface CliIo {
  print: (line: string) => void;
  progress: ProgressOutput;
  error: (line: string) => void;
}

export function runCli(name: string, main: (argv: string[], io: CliIo) => Promise<number>): void {
  // The pinned SDK runs on Node 20; its notice about later releases is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  main(process.argv.slice(2), {
    print: (line) => process.stdout.write(`${line}\n`),
    progress: process.stderr,
    error: (line) => process.stderr.write(`${line}\n`),
  }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`npm run ${name}: ${(error as Error).message ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
