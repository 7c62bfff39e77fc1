import { request } from "node:http";

/** A Docker Engine answers `/_ping` with `OK`: anything longer is not one, and is not read further. */
const MAX_PING_BODY = 64;

/** Whether a Docker Engine answers `GET /_ping` with OK on 127.0.0.1:`port` within `timeoutMs`. */
export function pingDocker(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
        if (body.length > MAX_PING_BODY) req.destroy();
      });
      res.on("end", () => resolve(res.statusCode === 200 && body.trim() === "OK"));
      res.on("error", () => resolve(false));
      res.on("close", () => resolve(false));
    });
    // The whole answer within the time, not only each read: a peer that trickles bytes is not an engine either.
    const deadline = setTimeout(() => req.destroy(), timeoutMs);
    req.on("close", () => clearTimeout(deadline));
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}
