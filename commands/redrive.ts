// `npm run redrive`: the dead-letter queue's messages back to the work queue
// (commands/redrive/cli.ts has the usage).
import { runCli } from "./ops/run-cli";
import { main } from "./redrive/cli";

runCli(main);
