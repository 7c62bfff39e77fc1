import { describe, expect, it } from "vitest";
import { exitCodeOf } from "../errors.js";
import { caught } from "../test-support.js";
import { formatQemuSource, parseQemuSource } from "./source.js";

describe("QEMU sources", () => {
  it.each(["bookworm", "trixie", "sid", "stable", "trixie-backports"])("debian:%s is a Debian suite", (suite) => {
    expect(parseQemuSource(`debian:${suite}`)).toEqual({ kind: "debian", suite });
    expect(formatQemuSource(parseQemuSource(`debian:${suite}`))).toBe(`debian:${suite}`);
  });

  it.each(["fedora:41", "trixie", "ubuntu:noble", ""])("%j is an unknown source, bad input (exit 2)", async (text) => {
    const error = await caught(() => parseQemuSource(text));
    expect(error.code).toBe("QUS_QEMU_SOURCE_UNKNOWN");
    expect(exitCodeOf(error.code)).toBe(2);
    expect(error.hint).toContain("debian:trixie");
  });

  it.each(["debian:", "debian:../etc", "debian:Trixie", "debian:a b"])("%j names no suite", async (text) => {
    expect((await caught(() => parseQemuSource(text))).code).toBe("QUS_QEMU_SOURCE_UNKNOWN");
  });
});
