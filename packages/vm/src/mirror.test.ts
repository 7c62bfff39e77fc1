import { describe, expect, it } from "vitest";
import { DEFAULT_MIRROR, sourceLine } from "./mirror.js";
import { qusErrorOf } from "./test-support.js";

describe("sourceLine", () => {
  it("the suite from Debian's archive by default: main only, no -updates or -security", () => {
    expect(DEFAULT_MIRROR).toBe("http://deb.debian.org/debian");
    expect(sourceLine("bookworm")).toBe("deb http://deb.debian.org/debian bookworm main");
  });

  it.each(["https://mirror.example.org/debian", "http://10.0.0.1:3142/debian", "file:///srv/mirror/debian"])(
    "a mirror URL %s",
    (mirror) => {
      expect(sourceLine("trixie", mirror)).toBe(`deb ${mirror} trixie main`);
    },
  );

  it.each([
    "http://mirror.example.org/deb ian",
    "http://mirror.example.org/debian ",
    " http://mirror.example.org/debian",
    "http://a\tb",
    "http://a\nb",
    "deb.debian.org/debian",
    "ftp://ftp.debian.org/debian",
    "http://",
    "",
  ])("%j: QUS_USAGE", (mirror) => {
    const error = qusErrorOf(() => sourceLine("bookworm", mirror));
    expect(error.code).toBe("QUS_USAGE");
    expect(error.message).toContain(JSON.stringify(mirror));
    expect(error.hint).toContain(DEFAULT_MIRROR);
  });

  it("a suite that is not a name (spaces, newlines, a leading dash) is refused before any source line is made", () => {
    for (const suite of ["bookworm main contrib", "a\nb", "--x", ""]) {
      expect(() => sourceLine(suite)).toThrow(/is not a Debian suite name/);
    }
  });
});
