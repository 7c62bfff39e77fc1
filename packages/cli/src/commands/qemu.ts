import { QusError } from "@qus/core";
import { alignRows, formatCommand, listCachedQemu, qemuCacheRoot } from "@qus/core/toolkit";
import type { Command, OptionSpec } from "../command.js";
import { text } from "../values.js";

const json: OptionSpec = { type: "boolean", help: "print the result as JSON" };
/** `10.0.13` from `qemu-aarch64 version 10.0.13 (Debian ...)`; the whole line otherwise. */
const short = (line: string) => /version (\S+)/.exec(line)?.[1] ?? line;

/** `qus qemu fetch` and `qus qemu list`: QEMU versions in qus's cache, to pin with `--qemu-from`. */
export const QEMU_COMMANDS: readonly Command[] = [
  {
    name: "qemu fetch",
    summary:
      "download a Debian suite's static QEMU emulators into qus's cache (verified), print the folder and version",
    usage: "qus qemu fetch --from debian:<suite> [--mirror URL] [--refresh] [--json]",
    options: {
      from: {
        type: "string",
        value: "SOURCE",
        help: "debian:bookworm, debian:trixie, debian:sid (a suite of Debian's archive)",
      },
      mirror: {
        type: "string",
        value: "URL",
        help: "Debian archive to download from (default: the one the machine's apt sources name, else deb.debian.org)",
      },
      refresh: {
        type: "boolean",
        help: "ask the archive again even if this source was fetched before (downloads only when its version changed)",
      },
      json,
    },
    needsPlatforms: false,
    run: async (v) => {
      const from = text(v, "from");
      if (!from) {
        throw new QusError("QUS_USAGE", "qus qemu fetch needs --from SOURCE", {
          hint: "for example: qus qemu fetch --from debian:trixie",
        });
      }
      const { fetchQemu } = await import("../lazy/qemu-fetch.js");
      const result = await fetchQemu({ source: from, mirror: text(v, "mirror"), refresh: v.refresh === true });
      const how = result.cached
        ? "in the cache, nothing downloaded"
        : result.verifiedBy === "gpgv"
          ? `downloaded from ${result.mirror}; InRelease's signature checked with gpgv, then the SHA256 of the index and the package`
          : `downloaded from ${result.mirror}; SHA256 of the index and the package checked (signature not checked)`;
      const lines = [
        `${result.source}: ${result.package} ${result.packageVersion} for ${result.architecture} (${how})`,
        `  ${result.qemuVersion}`,
        `  ${result.folder} (${result.emulators.length} static emulators)`,
        ...result.warnings.map((warning) => `warning: ${warning}`),
        `use it: ${formatCommand(["qus", "ensure", "--qemu-from", result.source, "--platforms", "LIST"])}`,
        "  (entries registered with the F flag keep working if this folder is cleaned later)",
      ];
      return { text: `${lines.join("\n")}\n`, json: result };
    },
  },
  {
    name: "qemu list",
    summary: "list the QEMU versions in qus's cache",
    usage: "qus qemu list [--json]",
    options: { json },
    needsPlatforms: false,
    run: async () => {
      const root = qemuCacheRoot();
      const cached = listCachedQemu(root);
      const rows = [
        ["source", "package", "version", "qemu", "emulators", "folder"],
        ...cached.map((entry) => [
          entry.source,
          entry.package,
          entry.packageVersion,
          short(entry.qemuVersion),
          String(entry.emulators.length),
          entry.folder,
        ]),
      ];
      const table = alignRows(rows);
      const lines = cached.length === 0 ? [`no QEMU in ${root} yet (qus qemu fetch --from debian:trixie)`] : table;
      return { text: `${lines.join("\n")}\n`, json: { root, cached } };
    },
  },
];
