import { describe, expect, it } from "vitest";
import { debianMirrorOf, parseDeb822Sources, parseOneLineSources } from "./apt-sources.js";

// This machine's /etc/apt/sources.list.d/debian.sources and a vendor's .list, as recorded (2026-11).
const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

describe("the machine's Debian archive, from its apt sources", () => {
  it("takes the release suite's archive from deb822 sources, not -security", () => {
    expect(debianMirrorOf(parseDeb822Sources(DEBIAN_SOURCES))).toBe("http://deb.debian.org/debian");
    expect(debianMirrorOf(parseDeb822Sources(DEBIAN_SOURCES.split("\n\n")[1] ?? ""))).toBeUndefined();
  });

  it("skips vendors' repositories and disabled or deb-src stanzas", () => {
    const vendors = [
      ...parseOneLineSources("deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"),
      ...parseDeb822Sources("Types: deb\nURIs: https://deb.nodesource.com/node_20.x\nSuites: nodistro\n"),
      ...parseDeb822Sources("Types: deb-src\nURIs: http://src.example/debian\nSuites: trixie\n"),
      ...parseDeb822Sources("Types: deb\nURIs: http://off.example/debian\nSuites: trixie\nEnabled: no\n"),
    ];
    expect(debianMirrorOf(vendors)).toBeUndefined();
  });

  it("reads one-line sources with options, and drops a trailing slash", () => {
    const sources = parseOneLineSources(
      "# comment\ndeb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ trixie main contrib\n",
    );
    expect(debianMirrorOf(sources)).toBe("http://mirror.example/debian");
  });
});
