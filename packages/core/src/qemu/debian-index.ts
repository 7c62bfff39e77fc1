import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { QusError } from "../errors.js";
import type { Exec } from "../exec.js";
import { clearsignedBody, findPackageStanzas, type PackageStanza, parseRelease } from "./archive-index.js";
import { downloadText, type Fetch } from "./download.js";
import { KNOWN_DEBIAN_SUITES, type QemuSource } from "./source.js";

// A suite's index as a Debian mirror serves it: InRelease, its signature checked, then the QEMU packages it lists.

/** Packages tried in order; the first whose files hold static emulators is used (trixie's qemu-user-static is transitional). */
export const QEMU_PACKAGES = ["qemu-user-static", "qemu-user"] as const;

/** Where to read a suite's index, and what to check it with. */
export interface IndexRequest {
  readonly exec: Exec;
  readonly fetcher: Fetch;
  /** The archive's base URL, without a trailing slash. */
  readonly mirror: string;
  readonly source: QemuSource;
  /** The source as the user wrote it (`debian:trixie`), for messages. */
  readonly sourceName: string;
  /** A temporary folder for gpgv's files. */
  readonly dir: string;
  readonly keyring: string;
  /** Accept an InRelease whose signature cannot be checked from a plain http:// mirror. */
  readonly allowUnsigned: boolean;
}

/**
 * The suite's InRelease, checked: its signature (gpgv and the keyring, when there; else only SHA256s, refused from a
 * plain http:// mirror unless allowed, and said in `warnings`) and that it is the suite asked for.
 */
export async function readSignedRelease(
  request: IndexRequest,
  warnings: string[],
): Promise<{ release: ReturnType<typeof parseRelease>; verifiedBy: "gpgv" | "sha256" }> {
  const { exec, fetcher, mirror, source, sourceName, dir, keyring, allowUnsigned } = request;
  const dists = `${mirror}/dists/${source.suite}`;
  const inRelease = await downloadText(`${dists}/InRelease`, { timeoutMs: 60_000, maxBytes: 16 << 20 }, fetcher);
  if (!inRelease) {
    throw new QusError(
      "QUS_QEMU_SOURCE_UNKNOWN",
      `Debian's archive at ${mirror} has no suite ${JSON.stringify(source.suite)}`,
      {
        hint: `name a suite it serves, e.g. ${KNOWN_DEBIAN_SUITES.map((name) => `debian:${name}`).join(", ")}`,
      },
    );
  }
  const { text: releaseText, verifiedBy } = await verifyInRelease(exec, inRelease, dir, keyring);
  if (verifiedBy === "sha256" && mirror.startsWith("http://") && !allowUnsigned) {
    throw new QusError(
      "QUS_QEMU_FETCH_FAILED",
      `cannot check the signature of ${sourceName}'s InRelease (no gpgv or no ${keyring}), and ${mirror} is plain http: nothing vouches for what it serves`,
      {
        hint: "install gpgv and debian-archive-keyring, or use an https:// --mirror (or, knowingly, set QUS_QEMU_ALLOW_UNSIGNED=1)",
      },
    );
  }
  if (verifiedBy === "sha256") {
    warnings.push(`InRelease's signature was not checked (no gpgv or no ${keyring}): only SHA256s were`);
  }
  const release = parseRelease(releaseText);
  // A signed index of another suite (an older one, replayed) is not the one asked for.
  if (release.suite !== source.suite && release.codename !== source.suite) {
    throw new QusError(
      "QUS_QEMU_FETCH_FAILED",
      `${mirror} answered ${sourceName} with the index of ${release.codename ?? release.suite ?? "an unnamed suite"}`,
      { hint: "the mirror is misconfigured or not to be trusted: use another --mirror" },
    );
  }
  return { release, verifiedBy };
}

/** InRelease's signed text: through gpgv with the keyring when both are there, else the clear-signed body. */
async function verifyInRelease(
  exec: Exec,
  inRelease: Buffer,
  dir: string,
  keyring: string,
): Promise<{ text: string; verifiedBy: "gpgv" | "sha256" }> {
  if (!existsSync(keyring)) return { text: clearsignedBody(inRelease.toString("utf8")), verifiedBy: "sha256" };
  const signed = join(dir, "InRelease");
  const output = join(dir, "Release");
  await writeFile(signed, inRelease);
  const result = await exec("gpgv", ["--keyring", keyring, "--output", output, signed], { timeoutMs: 60_000 });
  if (result.startError === "ENOENT")
    return { text: clearsignedBody(inRelease.toString("utf8")), verifiedBy: "sha256" };
  if (result.timedOut || result.signal) {
    throw new QusError(
      "QUS_QEMU_FETCH_FAILED",
      `gpgv did not finish checking InRelease (${result.timedOut ? "timed out after 60 s" : `killed by ${result.signal}`})`,
      {
        hint: "check gpgv (gpgv --version), then try again",
      },
    );
  }
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-1)[0] ?? "";
    throw new QusError("QUS_QEMU_FETCH_FAILED", `InRelease's signature does not check out with ${keyring}: ${detail}`, {
      hint: "the mirror serves an index Debian did not sign (or the keyring is old: apt-get install debian-archive-keyring)",
    });
  }
  return { text: await readFile(output, "utf8"), verifiedBy: "gpgv" };
}

/** The QEMU packages for `arch` in the suite's Packages index, in {@link QEMU_PACKAGES} order. */
export async function readCandidates(
  release: ReturnType<typeof parseRelease>,
  dists: string,
  arch: string,
  sourceName: string,
  fetcher: Fetch,
): Promise<PackageStanza[]> {
  const path = `main/binary-${arch}/Packages.gz`;
  const indexed = release.sha256.get(path);
  if (!indexed) {
    throw new QusError(
      "QUS_QEMU_PACKAGE_MISSING",
      `${sourceName} has no packages for ${arch} (InRelease lists no ${path})`,
      {
        hint: `choose a suite that ships ${arch}, e.g. --qemu-from debian:trixie`,
      },
    );
  }
  const body = await downloadText(
    `${dists}/${path}`,
    { timeoutMs: 300_000, maxBytes: indexed.size, sha256: indexed.sha256 },
    fetcher,
  );
  if (!body) {
    throw new QusError("QUS_QEMU_FETCH_FAILED", `${dists}/${path} is listed in InRelease but the mirror has none`, {
      hint: "the mirror may be mid-sync: try again later, or another --mirror",
    });
  }
  // Loaded here, not at start-up: only a fetch of QEMU needs it, and every module loaded costs each `qus` run.
  const { gunzipSync } = await import("node:zlib");
  let text: string;
  try {
    // Debian's largest Packages index unpacks to about 100 MiB: four times that is no index.
    text = gunzipSync(body, { maxOutputLength: 400 << 20 }).toString("utf8");
  } catch (error) {
    throw new QusError("QUS_QEMU_FETCH_FAILED", `${dists}/${path} does not unpack as a Packages index`, {
      hint: "the mirror serves something other than Debian's index: try another --mirror",
      cause: error,
    });
  }
  const stanzas = findPackageStanzas(text, QEMU_PACKAGES).filter((stanza) => stanza.architecture === arch);
  const ordered = QEMU_PACKAGES.flatMap((name) => stanzas.filter((stanza) => stanza.package === name).slice(0, 1));
  if (ordered.length === 0) {
    throw new QusError(
      "QUS_QEMU_PACKAGE_MISSING",
      `${sourceName} has neither ${QEMU_PACKAGES.join(" nor ")} for ${arch}`,
      {
        hint: "choose another suite, e.g. --qemu-from debian:trixie",
      },
    );
  }
  return ordered;
}
