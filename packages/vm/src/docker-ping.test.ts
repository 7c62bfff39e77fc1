import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { pingDocker } from "./docker-ping.js";

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

function serve(handler: Parameters<typeof createServer>[1]): Promise<number> {
  const listening = createServer(handler);
  server = listening;
  return new Promise((resolve) =>
    listening.listen(0, "127.0.0.1", () => resolve((listening.address() as AddressInfo).port)),
  );
}

describe("pingDocker", () => {
  it("an engine's OK", async () => {
    expect(await pingDocker(await serve((_, res) => res.end("OK")))).toBe(true);
  });

  it("a peer that answers without end is not an engine, and is let go rather than read into memory", async () => {
    let written = 0;
    const port = await serve((_, res) => {
      const more = () => {
        while (res.write("OK".repeat(8192))) written += 16384;
        res.once("drain", more);
      };
      more();
    });
    expect(await pingDocker(port, 2_000)).toBe(false);
    expect(written).toBeLessThan(64 * 2 ** 20);
  });

  it("a peer that trickles its answer past the time is not an engine", async () => {
    const port = await serve((_, res) => {
      res.write("O");
      const timer = setInterval(() => res.write(""), 100);
      res.on("close", () => clearInterval(timer));
    });
    expect(await pingDocker(port, 500)).toBe(false);
  });
});
