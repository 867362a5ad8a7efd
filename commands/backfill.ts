// `npm run backfill`: extract objects already in the upload bucket
// (commands/backfill/cli.ts has the usage).
import { runCli } from "./ops/run-cli";
import { main } from "./backfill/cli";

runCli(main);
