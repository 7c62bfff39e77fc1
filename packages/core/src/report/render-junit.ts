import type { PlatformReport, Report } from "./model.js";

/** Text safe inside an XML attribute or element: markup characters escaped, characters XML 1.0 forbids dropped. */
function xml(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters XML 1.0 cannot carry
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;")
      .replaceAll("'", "&apos;")
  );
}

/** Why a platform is not ok, in one line: its error, then what qus saw. */
function whyNot(platform: PlatformReport): string {
  const why = [platform.error?.message, platform.verification, ...platform.reasons].filter(Boolean);
  return why.length > 0 ? why.join("; ") : `${platform.action}: not ok`;
}

function testcase(report: Report, platform: PlatformReport): string {
  const open = `    <testcase classname="${xml(`qus.${report.command}`)}" name="${xml(platform.platform)}" time="0"`;
  if (platform.ok) return `${open}/>`;
  const type = platform.error?.code ?? platform.failure ?? platform.action;
  const body = [
    `platform: ${platform.platform} (${platform.cpu})`,
    `before: ${platform.before}, action: ${platform.action}, after: ${platform.after}`,
    `verified: ${platform.verified === null ? "not checked" : platform.verified ? "yes" : "no"}`,
    ...(platform.hint ? [`hint: ${platform.hint}`] : []),
  ].join("\n");
  return [
    `${open}>`,
    `      <failure type="${xml(type)}" message="${xml(whyNot(platform))}">${xml(body)}</failure>`,
    "    </testcase>",
  ].join("\n");
}

/**
 * The report as a JUnit XML document: one test suite for the command, one test case per platform (named by its OCI
 * platform), failed with qus's reason and hint when the platform is not ok. For CI systems' test widgets
 * (GitLab's `artifacts:reports:junit`).
 */
export function renderJunit(report: Report): string {
  const failures = report.platforms.filter((platform) => !platform.ok).length;
  const name = xml(`qus ${report.command} (${report.driver})`);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="qus" tests="${report.platforms.length}" failures="${failures}" errors="0">`,
    `  <testsuite name="${name}" tests="${report.platforms.length}" failures="${failures}" errors="0" skipped="0">`,
    ...report.platforms.map((platform) => testcase(report, platform)),
    ...(report.warnings.length > 0
      ? [`    <system-out>${xml(report.warnings.map((w) => `warning: ${w}`).join("\n"))}</system-out>`]
      : []),
    "  </testsuite>",
    "</testsuites>",
  ];
  return `${lines.join("\n")}\n`;
}
