// The embedded S3 + SQS emulator (fauxqs, in-process) that `npm start`, the
// tests and the benchmark run against, listening on loopback only.

export interface Emulator {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEmulator(port = 0): Promise<Emulator> {
  // fauxqs ships as ES modules only; its own start function binds every interface
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false, host: "127.0.0.1" });
  await app.listen({ port, host: "127.0.0.1" });
  const address = app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  return {
    endpoint: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    stop: () => app.close(),
  };
}
