import { describe, expect, it } from "vitest";
import { clearsignedBody, findPackageStanzas, parseRelease, versionWithoutEpoch } from "./archive-index.js";

// Shortened from Debian's real trixie InRelease and amd64 Packages index (2026-11).
const IN_RELEASE = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA256

Origin: Debian
Suite: stable
Version: 13.8
Codename: trixie
Date: Sat, 21 Nov 2026 09:15:44 UTC
Acquire-By-Hash: yes
MD5Sum:
 4840e4a7cfd54454ff38eabec58a70dd 13335627 main/binary-amd64/Packages.gz
SHA256:
 2efd6103f013081f8118f4c9f228739bc97bff2e4e1de496f80458c7e72a24ac 56634892 main/binary-amd64/Packages
 4967137e99422deb3b08e4eab8d6e756abfc826ef2c3744f50c1ab8ed053bf7e 13335627 main/binary-amd64/Packages.gz
-----BEGIN PGP SIGNATURE-----

iQIzBAEBCAAdFiEE
-----END PGP SIGNATURE-----
`;

const PACKAGES = `Package: qemu-system-x86
Version: 1:10.0.13+ds-0+deb13u1
Architecture: amd64
Filename: pool/main/q/qemu/qemu-system-x86_10.0.13+ds-0+deb13u1_amd64.deb
Size: 1
SHA256: ${"1".repeat(64)}

Package: qemu-user
Source: qemu
Version: 1:10.0.13+ds-0+deb13u1
Architecture: amd64
Replaces: qemu-user-binfmt (<< 1:9.1.0), qemu-user-static (<< 1:9.1.0)
Description: QEMU user mode emulation (static binaries)
Filename: pool/main/q/qemu/qemu-user_10.0.13+ds-0+deb13u1_amd64.deb
Size: 71089852
SHA256: ca6ede739327a20ae5a3498230c8a3a9a072c586e131bc6bcc1201eb1725e336

Package: qemu-user-static
Source: qemu
Version: 1:10.0.13+ds-0+deb13u1
Architecture: amd64
Depends: qemu-user (>= 1:10.0.13+ds-0+deb13u1), qemu-user-binfmt (>= 1:10.0.13+ds-0+deb13u1)
Description: QEMU user mode emulation (compat/transitional package)
Filename: pool/main/q/qemu/qemu-user-static_10.0.13+ds-0+deb13u1_amd64.deb
Size: 77416
SHA256: ec7657e2ce2e62ebdd6dc0348523fa7abdfc983266ec52bfc5bd211e3e543d25
`;

describe("Debian archive indexes", () => {
  it("reads InRelease's signed text, its fields and its SHA256 list (not MD5Sum)", () => {
    const body = clearsignedBody(IN_RELEASE);
    expect(body.startsWith("Origin: Debian\n")).toBe(true);
    expect(body).not.toContain("PGP");
    const release = parseRelease(body);
    expect(release).toMatchObject({ codename: "trixie", suite: "stable", version: "13.8" });
    expect(release.sha256.get("main/binary-amd64/Packages.gz")).toEqual({
      sha256: "4967137e99422deb3b08e4eab8d6e756abfc826ef2c3744f50c1ab8ed053bf7e",
      size: 13335627,
    });
    expect(release.sha256.size).toBe(2);
  });

  it("reads Valid-Until when a suite has one (sid)", () => {
    const release = parseRelease("Codename: sid\nValid-Until: Fri, 06 Nov 2026 08:08:01 UTC\n");
    expect(release.validUntil?.toISOString()).toBe("2026-11-06T08:08:01.000Z");
  });

  it("finds the QEMU packages' stanzas and nothing else", () => {
    const stanzas = findPackageStanzas(PACKAGES, ["qemu-user-static", "qemu-user"]);
    expect(stanzas.map((stanza) => [stanza.package, stanza.size])).toEqual([
      ["qemu-user", 71089852],
      ["qemu-user-static", 77416],
    ]);
    expect(stanzas[0]).toMatchObject({
      version: "1:10.0.13+ds-0+deb13u1",
      architecture: "amd64",
      filename: "pool/main/q/qemu/qemu-user_10.0.13+ds-0+deb13u1_amd64.deb",
    });
  });

  it("skips a stanza without a usable SHA256", () => {
    expect(findPackageStanzas("Package: qemu-user\nFilename: x.deb\nSize: 3\nSHA256: abc\n", ["qemu-user"])).toEqual(
      [],
    );
  });

  it("drops the epoch as Debian's file names do", () => {
    expect(versionWithoutEpoch("1:10.0.13+ds-0+deb13u1")).toBe("10.0.13+ds-0+deb13u1");
    expect(versionWithoutEpoch("7.2+dfsg-7")).toBe("7.2+dfsg-7");
  });
});
