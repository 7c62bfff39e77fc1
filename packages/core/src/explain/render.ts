import { EXIT_CODES } from "../errors.js";
import { type Explanation, type FileExplanation, type FileProblem, isFileProblem, type Verdict } from "./model.js";

/** The exit code of an explanation: 2 when a file could not be read as ELF, 1 when one does not run, else 0. */
export function explanationExitCode(explanation: Explanation): number {
  if (explanation.files.some(isFileProblem)) return EXIT_CODES.usage;
  return explanation.ok ? EXIT_CODES.ok : EXIT_CODES.notOk;
}

/** The explanation as text: one short block per file, then one summary line. */
export function renderExplanation(explanation: Explanation): string {
  const blocks: string[] = [];
  if (explanation.image) {
    const { ref, platform, entrypoint, cmd, engineArchitecture } = explanation.image;
    const command = entrypoint.length > 0 ? entrypoint : cmd;
    blocks.push(
      [
        `image ${ref}: ${platform}, on a ${explanation.driver} engine of ${engineArchitecture ?? "unknown architecture"}`,
        `  entrypoint    ${command.length > 0 ? JSON.stringify(command) : "(none)"}`,
      ].join("\n"),
    );
  }
  for (const file of explanation.files) blocks.push(isFileProblem(file) ? renderProblem(file) : renderFile(file));
  const lines = [blocks.join("\n\n"), ""];
  for (const warning of explanation.warnings) lines.push(`warning: ${warning}`);
  lines.push(summary(explanation));
  return `${lines.join("\n")}\n`;
}

function renderProblem(problem: FileProblem): string {
  const { code, message, hint } = problem.error;
  return [`${problem.path}`, `  error ${code}: ${message}`, ...(hint ? [`  hint: ${hint}`] : [])].join("\n");
}

function renderFile(file: FileExplanation): string {
  const { elf, handler } = file;
  const abi = elf.abi.length > 0 ? `, ${elf.abi.join(", ")}` : "";
  const lines = [
    file.path,
    row(
      "architecture",
      `${elf.machineName}, ${elf.bits}-bit ${elf.endianness}-endian${abi}${file.platform ? ` (${file.platform})` : ""}`,
    ),
    row("program", `${elf.type}, ${elf.linkage === "static" ? "static" : `dynamic, loader ${elf.interpreter}`}`),
    row("handler", describeHandler(file)),
  ];
  if (handler.entries.length > 1) {
    lines.push(
      row(
        "",
        `${handler.entries.length} enabled entries claim it: the one registered last wins (binfmt_misc does not show the order)`,
      ),
    );
  }
  if (file.here) lines.push(...verdict("here", file.here));
  if (file.chroot && sameVerdict(file.chroot, file.container)) lines.push(...verdict("chroot, container", file.chroot));
  else {
    if (file.chroot) lines.push(...verdict("chroot", file.chroot));
    lines.push(...verdict("container", file.container));
  }
  return lines.join("\n");
}

function describeHandler(file: FileExplanation): string {
  const { handler } = file;
  if (handler.kind === "native") return `the kernel itself (${handler.native ?? "runs natively"})`;
  if (handler.kind === "none") return "none: no enabled binfmt_misc entry claims it";
  const entries = handler.entries
    .map((entry) => `${entry.name} (flags ${entry.flags || "none"}, interpreter ${entry.interpreter})`)
    .join(" and ");
  const probe = handler.probe
    ? handler.probe.ok
      ? handler.probe.chrooted === false
        ? "probe ok (run directly: not root)"
        : "probe ok"
      : `probe failed: ${handler.probe.reason ?? handler.probe.failure}`
    : "probe not run";
  return `binfmt_misc ${entries}: ${probe}`;
}

function verdict(place: string, value: Verdict): string[] {
  const head = value.runs === "yes" ? "runs" : value.runs === "no" ? "does not run: " : "runs ";
  const lines = [row(place, value.runs === "yes" ? head : `${head}${value.reason ?? ""}`)];
  if (value.fix) lines.push(row("", `fix: ${value.fix}`));
  return lines;
}

function sameVerdict(a: Verdict, b: Verdict): boolean {
  return a.runs === b.runs && a.reason === b.reason && a.fix === b.fix;
}

function row(label: string, text: string): string {
  return `  ${label.padEnd(17)} ${text}`;
}

function summary(explanation: Explanation): string {
  const files = explanation.files;
  const problems = files.filter(isFileProblem).length;
  const read = files.length - problems;
  const running = files.filter((file) => !isFileProblem(file) && file.ok).length;
  const where = explanation.image ? `in a container of ${explanation.image.ref}` : "here";
  const parts = [`${running} of ${read} file${read === 1 ? "" : "s"} run${read === 1 ? "s" : ""} ${where}`];
  if (problems > 0) parts.push(`${problems} could not be read`);
  return `explain: ${parts.join(", ")}`;
}
