/**
 * An upstream that accepts connections and never answers: what a hung dependency looks like from the Worker.
 * Suites point a backend at it to prove a deadline holds. (An address where nothing listens would also fail,
 * but workerd logs every refused connection as an uncaught exception, which would read as a broken run.)
 */

import { type AddressInfo, createServer, type Socket } from "node:net";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** `http://127.0.0.1:<port>` of the silent upstream. */
    silentUrl: string;
  }
}

export async function provideSilentServer(project: TestProject): Promise<() => Promise<void>> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("silentUrl", `http://127.0.0.1:${port}`);
  return () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
}
