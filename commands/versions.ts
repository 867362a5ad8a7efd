// Entry point of `npm run versions`; see commands/versions/cli.ts and docs/versions.md.
import { join } from "node:path";
import { main } from "./versions/cli";
import { runNpm } from "./versions/write";

main(process.argv.slice(2), {
  // tests run the real entry point against a temp copy of the project
  root: process.env["VERSIONS_PROJECT_ROOT"] || join(__dirname, ".."),
  env: process.env,
  out: (text) => console.log(text),
  err: (text) => console.error(text),
  runNpm,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error("versions: unexpected failure:", error);
    process.exitCode = 1;
  },
);
