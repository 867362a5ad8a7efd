// Bundles the Lambda function into dist/function/: one handler.js (with the
// AWS SDK and Powertools inside, so the image needs no node_modules) and the
// Perl worker beside it. The Dockerfile copies exactly this folder.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..");
const outDir = join(root, "dist", "function");

async function main(): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, "function", "handler.ts")],
    outfile: join(outDir, "handler.js"),
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: "linked",
    minify: false,
    // resolved at run time: the image sets EXIFTOOL_PATH instead
    external: ["exiftool-vendored.pl"],
    logLevel: "warning",
  });
  copyFileSync(join(root, "function", "exiftool", "worker.pl"), join(outDir, "worker.pl"));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
