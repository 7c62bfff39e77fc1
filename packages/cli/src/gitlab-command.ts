import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { QusError } from "@qus/core";
import type { Command } from "./command.js";
import { json } from "./common-options.js";
import { text } from "./values.js";

/** `qus gitlab`: writes qus's GitLab CI/CD component and/or a file for include: remote. */
export const GITLAB_COMMAND: Command = {
  name: "gitlab",
  summary:
    "write qus's GitLab CI/CD component (DIR/templates/qus.yml) and/or a file for include: remote, with its integrity",
  usage: "qus gitlab [--out DIR] [--remote FILE] [--json]",
  options: {
    out: {
      type: "string",
      value: "DIR",
      help: "write the component into the project folder DIR, GitLab's layout: DIR/templates/qus.yml",
    },
    remote: {
      type: "string",
      value: "FILE",
      help: "write a standalone file for include: remote to FILE, and its integrity value to FILE.integrity",
    },
    json,
  },
  needsPlatforms: false,
  run: async (v) => {
    const out = text(v, "out");
    const remote = text(v, "remote");
    if (out === undefined && remote === undefined) {
      throw new QusError("QUS_USAGE", "qus gitlab needs --out DIR, --remote FILE or both", {
        hint: "for example: qus gitlab --out . --remote public/qus.yml",
      });
    }
    for (const [name, value] of [
      ["out", out],
      ["remote", remote],
    ] as const) {
      if (value === "") {
        throw new QusError("QUS_USAGE", `qus gitlab: --${name} needs a path`, {
          hint: "usage: qus gitlab [--out DIR] [--remote FILE]",
        });
      }
    }
    const { COMPONENT_PATH, integrityOf, renderComponent } = await import("@qus/gitlab");
    const write = (file: string, content: string) => {
      try {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, content);
      } catch (error) {
        throw new QusError("QUS_PERSIST_FAILED", `cannot write ${file}: ${(error as Error).message}`, {
          hint: "choose a folder you can write to",
          cause: error,
        });
      }
    };
    const lines: string[] = [];
    const result: { component?: string; remote?: string; integrity?: string } = {};
    if (out !== undefined) {
      const file = join(out, COMPONENT_PATH);
      write(file, renderComponent());
      result.component = file;
      lines.push(`wrote ${file}`);
    }
    if (remote !== undefined) {
      // The component itself: GitLab gives an include: remote file its inputs as it gives a component.
      const content = renderComponent();
      const integrity = integrityOf(content);
      write(remote, content);
      write(`${remote}.integrity`, `${integrity}\n`);
      Object.assign(result, { remote, integrity });
      lines.push(`wrote ${remote}`, `wrote ${remote}.integrity`, `integrity: ${integrity}`);
    }
    return { text: `${lines.join("\n")}\n`, json: result };
  },
};
