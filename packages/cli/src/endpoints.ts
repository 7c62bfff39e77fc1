import { QusError, type Report, renderJson, renderMarkdown, renderTable } from "@qus/core";
import { errorDocument, exitCodeOfError, renderErrorText } from "@qus/core/toolkit";
import { exitCodeForReport, gravest } from "./exit-codes.js";
import { terminalJson, terminalText } from "./terminal.js";

/** One engine of a run over several (`--context a,b`): its report, or the error that stopped it there. */
export interface EndpointOutcome {
  /** A docker context (or podman connection) name; or, with `kind: "host"`, an engine address from DOCKER_HOST. */
  readonly context: string;
  readonly kind?: "context" | "host";
  readonly report?: Report;
  readonly error?: unknown;
}

/** The contexts `--context` names: `a,b` (or repeated) is several engines, reached concurrently. */
export function contextsOf(value: string | undefined): string[] {
  if (value === undefined) return [];
  const contexts = value.split(",").map((context) => context.trim());
  if (contexts.some((context) => context === "")) {
    throw new QusError("QUS_USAGE", `--context ${JSON.stringify(value)} has an empty name`, {
      hint: "name each context once, comma separated: --context default,arm-box",
    });
  }
  const repeated = contexts.find((context, i) => contexts.indexOf(context) !== i);
  if (repeated !== undefined) {
    throw new QusError("QUS_USAGE", `--context names ${JSON.stringify(repeated)} twice`, {
      hint: "name each context once",
    });
  }
  return contexts;
}

/** Runs one operation per context at once; one engine's failure does not stop the others. */
export async function acrossContexts(
  contexts: readonly string[],
  run: (context: string) => Promise<Report>,
  kind: "context" | "host" = "context",
): Promise<EndpointOutcome[]> {
  const settled = await Promise.allSettled(contexts.map(run));
  return settled.map((outcome, i) => {
    const context = contexts[i] ?? "";
    const named = { context, ...(kind === "host" ? { kind } : {}) };
    return outcome.status === "fulfilled" ? { ...named, report: outcome.value } : { ...named, error: outcome.reason };
  });
}

/** DOCKER_HOST naming several engines (`unix:///var/run/docker.sock,tcp://arm-box:2376`), or none. */
export function dockerHostsOf(value: string | undefined): string[] {
  if (value === undefined || !value.includes(",")) return [];
  const hosts = value.split(",").map((host) => host.trim());
  const repeated = hosts.find((host, i) => hosts.indexOf(host) !== i);
  if (repeated !== undefined) {
    throw new QusError("QUS_USAGE", `DOCKER_HOST names ${JSON.stringify(repeated)} twice`, {
      hint: "name each engine address once",
    });
  }
  if (hosts.some((host) => !/^[a-z]+:\/\/\S+$/.test(host))) {
    throw new QusError("QUS_USAGE", `DOCKER_HOST ${JSON.stringify(value)} is not a list of engine addresses`, {
      hint: "separate addresses with commas: DOCKER_HOST=unix:///var/run/docker.sock,tcp://arm-box:2376",
    });
  }
  return hosts;
}

/** The exit code of a run over several engines: the gravest of theirs (environment, then usage, then not ok). */
export function exitCodeForEndpoints(outcomes: readonly EndpointOutcome[]): number {
  return gravest(
    outcomes.map((outcome) => (outcome.report ? exitCodeForReport(outcome.report) : exitCodeOfError(outcome.error))),
  );
}

/** An engine's name in JSON: `{ context }`, or `{ host }` for an address from DOCKER_HOST. */
const where = (outcome: EndpointOutcome) =>
  outcome.kind === "host" ? { host: outcome.context } : { context: outcome.context };

/** Every engine's section, in the order the contexts were named, as JSON, Markdown or the table. */
export function renderEndpoints(
  outcomes: readonly EndpointOutcome[],
  format: { json: boolean; markdown: boolean; color: boolean },
): string {
  if (format.json) {
    const endpoints = outcomes.map((outcome) =>
      outcome.report
        ? { ...where(outcome), ok: outcome.report.ok, report: JSON.parse(renderJson(outcome.report)) }
        : { ...where(outcome), ok: false, error: errorDocument(outcome.error).error },
    );
    const ok = endpoints.every((endpoint) => endpoint.ok);
    return terminalJson(`${JSON.stringify({ schemaVersion: 1, ok, endpoints }, null, 2)}\n`);
  }
  const sections = outcomes.map((outcome) => {
    const name = terminalText(`${outcome.kind ?? "context"} ${outcome.context}`);
    const heading = format.markdown ? `### ${name}\n\n` : `${name}:\n`;
    if (outcome.report) {
      const body = format.markdown
        ? renderMarkdown(outcome.report)
        : renderTable(outcome.report, { color: format.color });
      return heading + body;
    }
    // An engine's error quotes what it printed: shown escaped, never obeyed.
    return heading + terminalText(`${renderErrorText(outcome.error)}\n`);
  });
  const failed = outcomes.filter((outcome) => !outcome.report?.ok).map((outcome) => outcome.context);
  const summary =
    failed.length === 0
      ? `all ${outcomes.length} engines ok`
      : `${failed.length} of ${outcomes.length} engines not ok: ${terminalText(failed.join(", "))}`;
  return `${sections.join("\n")}\n${summary}\n`;
}
