// The bench's S3 in a process of its own: the embedded emulator behind the
// slowing proxy. Run apart from the contenders, its work (parsing requests,
// copying bodies, pacing) is not charged to the engine's Node side, as on
// Lambda, where S3 runs elsewhere. Started by bench/s3.ts through fork(): the
// network settings come as JSON in argv, the endpoints go back as one IPC
// message, and the process stops when its parent disconnects.
import { startEmulator } from "../local/emulator";
import { S3Proxy } from "../local/s3-proxy";
import type { NetworkSettings } from "./s3";

export interface S3Endpoints {
  emulator: string;
  proxy: string;
}

async function main(): Promise<void> {
  const network = JSON.parse(process.argv[2] ?? "{}") as NetworkSettings;
  const emulator = await startEmulator();
  const proxy = await new S3Proxy({
    target: emulator.endpoint,
    latencyMs: network.latencyMs,
    bytesPerSecond: network.bytesPerSecond,
  }).start();
  process.once("disconnect", () => {
    void Promise.all([proxy.stop(), emulator.stop()]).finally(() => process.exit(0));
  });
  const endpoints: S3Endpoints = { emulator: emulator.endpoint, proxy: proxy.endpoint };
  process.send!(endpoints);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
