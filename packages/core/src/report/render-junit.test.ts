import { describe, expect, it } from "vitest";
import type { PlatformReport, Report } from "./model.js";
import { renderJunit } from "./render-junit.js";

const kernel = {
  release: "6.1.0",
  machine: "x86_64",
  binfmtMounted: true,
  binfmtEnabled: true,
} as unknown as Report["kernel"];

function platform(over: Partial<PlatformReport> & Pick<PlatformReport, "platform" | "ok">): PlatformReport {
  return {
    cpu: "aarch64",
    before: "absent",
    action: "register",
    after: "enabled",
    verified: over.ok,
    reasons: [],
    ...over,
  };
}

const report = (platforms: PlatformReport[], warnings: string[] = []): Report => ({
  schemaVersion: 1,
  command: "ensure",
  driver: "docker",
  dryRun: false,
  ok: platforms.every((p) => p.ok),
  kernel,
  platforms,
  warnings,
});

describe("renderJunit", () => {
  it("one test case per platform, named by the platform; passing ones have no failure", () => {
    const xml = renderJunit(
      report([platform({ platform: "linux/arm64", ok: true }), platform({ platform: "linux/s390x", ok: true })]),
    );
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toContain('name="linux/arm64"');
    expect(xml).toContain('name="linux/s390x"');
    expect(xml).toContain('tests="2" failures="0"');
    expect(xml).not.toContain("<failure");
  });

  it("a failing platform carries qus's reason, code and hint", () => {
    const xml = renderJunit(
      report([
        platform({ platform: "linux/arm64", ok: true }),
        platform({
          platform: "linux/riscv64",
          cpu: "riscv64",
          ok: false,
          verified: false,
          failure: "no-handler",
          verification: "exec format error",
          hint: "run qus ensure --replace",
          error: { code: "QUS_VERIFY_FAILED", message: "the probe did not run" },
        }),
      ]),
    );
    expect(xml).toContain('tests="2" failures="1"');
    expect(xml).toMatch(
      /<testcase classname="qus.ensure" name="linux\/riscv64" time="0">\n\s+<failure type="QUS_VERIFY_FAILED" message="the probe did not run; exec format error">/,
    );
    expect(xml).toContain("hint: run qus ensure --replace");
  });

  it("escapes markup and drops characters XML cannot carry", () => {
    const xml = renderJunit(
      report([platform({ platform: "linux/arm64", ok: false, reasons: [`<a href="x">&'\u0001`] })], ["w <b>"]),
    );
    expect(xml).toContain('message="&lt;a href=&quot;x&quot;&gt;&amp;&apos;"');
    expect(xml).not.toContain("\u0001");
    expect(xml).toContain("<system-out>warning: w &lt;b&gt;</system-out>");
  });
});
