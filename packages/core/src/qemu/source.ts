import { QusError } from "../errors.js";

/** Where a QEMU build comes from: one suite of Debian's archive (more sources may follow). */
export interface QemuSource {
  readonly kind: "debian";
  /** Suite or codename as Debian's archive serves it: `bookworm`, `trixie`, `sid`, `stable`, ... */
  readonly suite: string;
}

/** The suites the documentation lists; any other well-formed name is asked of the archive. */
export const KNOWN_DEBIAN_SUITES: readonly string[] = ["bookworm", "trixie", "sid"];

const SUITE = /^[a-z][a-z0-9-]{1,30}$/;

/** The source as the user writes it: `debian:trixie`. */
export function formatQemuSource(source: QemuSource): string {
  return `${source.kind}:${source.suite}`;
}

/**
 * Parses `--qemu-from` / `--from`: `debian:<suite>`. An unknown source, or a suite that is not a name, is
 * `QUS_QEMU_SOURCE_UNKNOWN` (bad input), before anything is downloaded.
 */
export function parseQemuSource(text: string): QemuSource {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const suite = colon < 0 ? "" : text.slice(colon + 1);
  if (kind !== "debian") {
    throw new QusError("QUS_QEMU_SOURCE_UNKNOWN", `unknown QEMU source ${JSON.stringify(text)}`, {
      hint: `use debian:<suite>, e.g. ${KNOWN_DEBIAN_SUITES.map((name) => `debian:${name}`).join(", ")}`,
    });
  }
  if (!SUITE.test(suite)) {
    throw new QusError(
      "QUS_QEMU_SOURCE_UNKNOWN",
      suite === ""
        ? `${JSON.stringify(text)} names no Debian suite`
        : `${JSON.stringify(suite)} is not a Debian suite name`,
      {
        hint: `name a suite of Debian's archive, e.g. ${KNOWN_DEBIAN_SUITES.map((name) => `debian:${name}`).join(", ")}`,
      },
    );
  }
  return { kind, suite };
}
