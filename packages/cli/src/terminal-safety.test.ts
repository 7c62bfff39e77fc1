import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runQus } from "./test-support.js";

// A hostile engine: a fake `docker` first on PATH whose answers carry terminal escape sequences (a title change, a
// screen clear, a color, a carriage return, a C1 CSI). qus shows what engines say, never what they would do.
const bin = mkdtempSync(join(tmpdir(), "qus-hostile-docker-"));
const HOSTILE = String.raw`\033]0;owned\007\033[2J\033[31mred\r\302\233 31m`;
// Every control character but tab and newline, C1 controls, bidi overrides and isolates.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is tested
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/** Installs the fake docker: `info` answers as an engine when `engineAnswers`, every other command fails. */
function fakeDocker(engineAnswers: boolean): void {
  const info = engineAnswers
    ? `printf '%s\\n' '{"ID":"X","ServerVersion":"27.0.0","ClientInfo":{"Context":"default"}}'; exit 0`
    : `printf 'Cannot connect: ${HOSTILE}\\n' >&2; exit 1`;
  const script = [
    "#!/bin/sh",
    `case " $* " in *" info "*) ${info} ;; esac`,
    `printf 'ERROR: ${HOSTILE}\\n' >&2`,
    `printf '#1 [internal] ${HOSTILE}\\n'`,
    "exit 1",
    "",
  ].join("\n");
  writeFileSync(join(bin, "docker"), script);
  chmodSync(join(bin, "docker"), 0o755);
}

const path = process.env.PATH;
const host = process.env.DOCKER_HOST;
beforeAll(() => {
  process.env.PATH = `${bin}:${path ?? ""}`;
  // No engine socket to ask directly: the fake client is the only way to the engine.
  process.env.DOCKER_HOST = `unix://${join(bin, "no-engine.sock")}`;
});
afterAll(() => {
  process.env.PATH = path;
  if (host === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = host;
  rmSync(bin, { recursive: true, force: true });
});

function expectShownNotObeyed(text: string): void {
  expect(text).not.toMatch(RAW_CONTROL);
  expect(text).toContain("\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mred");
  // The carriage return may have ended a line where the engine's words were read: shown escaped or as a space.
  expect(text).toMatch(/red(\\x0d| )\\x9b 31m/);
}

describe("a fake docker printing escape sequences: qus prints them escaped, never raw", () => {
  it("qus buildx, engine unreachable: exit 3, the engine's words escaped on stderr", async () => {
    fakeDocker(false);
    const { code, stdout, stderr } = await runQus("buildx", "--platforms", "linux/arm64");
    expect(code).toBe(3);
    expect(stderr).toMatch(/QUS_ENGINE_UNREACHABLE/);
    expectShownNotObeyed(stderr);
    expect(stdout).not.toMatch(RAW_CONTROL);
  });

  it("qus buildx, engine answers and then fails: its error escaped on stderr", async () => {
    fakeDocker(true);
    const { code, stdout, stderr } = await runQus("buildx", "--platforms", "linux/arm64");
    expect(code).not.toBe(0);
    expectShownNotObeyed(stderr);
    expect(stdout).not.toMatch(RAW_CONTROL);
  });

  it("qus status --driver docker: the engine's error escaped on stderr", async () => {
    fakeDocker(false);
    const { code, stderr } = await runQus("status", "--driver", "docker", "--platforms", "arm64");
    expect(code).toBe(3);
    expectShownNotObeyed(stderr);
  });
});
