import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeApiServer, fakeNode, startFakeApiServer } from "../../../k8s/src/fake-api-server.js";
import { runQus as run } from "../test-support.js";

// `qus k8s ...` through the CLI, against @qus/k8s's in-process stand-in for an API server (no cluster runs here).
const scratch = mkdtempSync(join(tmpdir(), "qus-cli-k8s-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
afterEach(() => vi.unstubAllEnvs());

/** Points KUBECONFIG at a kubeconfig naming `server` (plain http, as kubectl talks to it). */
function useServer(server: string): void {
  const file = join(scratch, `kubeconfig-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    file,
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{ name: c, cluster: { server: '${server}' } }]`,
      "users: [{ name: u, user: { token: t } }]",
      "contexts: [{ name: c, context: { cluster: c, user: u } }]",
      "current-context: c",
      "",
    ].join("\n"),
  );
  vi.stubEnv("KUBECONFIG", file);
}

describe("qus k8s status: what the API server says, shown safely", () => {
  let api: FakeApiServer;
  beforeAll(async () => {
    const hostile = fakeNode("node-a", { architecture: "arm64\u001b[2J\u001b[H" });
    (hostile.metadata as { annotations: Record<string, string> }).annotations = {
      "qus.dev/proven": "linux/arm64,linux/s390x\nnode-z  linux/arm64  all fine",
      "qus.dev/proven-at": "2026-12-01T00:00:00Z\u001b]0;owned\u0007\r",
    };
    api = await startFakeApiServer([hostile, fakeNode("node-b")]);
    return () => api.close();
  });

  it("control characters and terminal escapes in node fields are escaped: one line per node, columns kept", async () => {
    useServer(api.config.getCurrentCluster()?.server ?? "");
    const { code, stdout, stderr } = await run("k8s", "status", "--platforms", "linux/arm64");
    expect(stderr).toBe("");
    expect(code).toBe(1);
    // Nothing a terminal obeys: no control character but the newlines that end the lines.
    expect([...stdout].filter((char) => char !== "\n" && /\p{Cc}/u.test(char))).toEqual([]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain("arm64\\x1b[2J\\x1b[H");
    expect(lines[1]).toContain("linux/arm64,linux/s390x\\x0anode-z  linux/arm64  all fine");
    expect(lines[1]).toContain("2026-12-01T00:00:00Z\\x1b]0;owned\\x07\\x0d");
    expect(lines[2]).toMatch(/^node-b {2}/);
  });

  it("--json keeps the values as they are (JSON escapes them itself)", async () => {
    useServer(api.config.getCurrentCluster()?.server ?? "");
    const { stdout } = await run("k8s", "status", "--platforms", "linux/arm64", "--json");
    expect(JSON.parse(stdout)[0].architecture).toBe("arm64\u001b[2J\u001b[H");
  });
});

describe("qus k8s status: an API server that cannot be reached is never an HTTP status", () => {
  it("connection refused: exit 3, QUS_ENGINE_UNREACHABLE, the server named", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    useServer(`http://127.0.0.1:${port}`);
    const { code, stderr } = await run("k8s", "status");
    expect(code).toBe(3);
    expect(stderr).toContain(
      `QUS_ENGINE_UNREACHABLE: could not list the nodes at http://127.0.0.1:${port}: connection refused`,
    );
    expect(stderr).not.toMatch(/HTTP/);
  });
});

describe("qus k8s manifest --image / --labeller-image: image references, checked", () => {
  const bad: readonly [string, string][] = [
    ["empty", ""],
    ["a space", "qus binfmt"],
    ["a newline", "qus-binfmt\n:latest"],
    ["upper case", "Qus-Binfmt"],
    ["100 KB", "a".repeat(100_000)],
  ];
  for (const option of ["--image", "--labeller-image"]) {
    for (const [what, value] of bad) {
      it(`${option} ${what}: exit 2, QUS_USAGE naming the option, the value short and quoted, an example`, async () => {
        const { code, stdout, stderr } = await run("k8s", "manifest", "--label-nodes", option, value);
        expect(code).toBe(2);
        expect(stdout).toBe("");
        expect(stderr).toContain(`QUS_USAGE: ${option} ${JSON.stringify(value.slice(0, 200))}`);
        expect(stderr.length).toBeLessThan(1000);
        expect(stderr).toMatch(/hint: .*e\.g\. /);
      });
    }
  }

  it("a reference with registry, port, path, tag and digest is taken as it is", async () => {
    const image = `registry.example.com:5000/team/qus-binfmt:v1.2@sha256:${"a".repeat(64)}`;
    const { code, stdout } = await run("k8s", "manifest", "--image", image, "--labeller-image", "node:24-alpine");
    expect(code).toBe(0);
    expect(stdout).toContain(`image: ${image}`);
  });
});
