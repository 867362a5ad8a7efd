// `npm run backfill`: extract objects already in the upload bucket
// (scripts/backfill/cli.ts has the usage).
import { main } from "./backfill/cli";

// The pinned SDK runs on Node 20; its notice about later releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

main(process.argv.slice(2), {
  print: (line) => process.stdout.write(`${line}\n`),
  progress: process.stderr,
  error: (line) => process.stderr.write(`${line}\n`),
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run backfill: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  },
);
