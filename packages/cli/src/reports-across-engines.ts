import type { Report } from "@qus/core";
import { QusError } from "@qus/core";
import type { CommandOutput, Values } from "./command.js";
import { driverFrom, HOST } from "./driver-choice.js";
import { acrossContexts, contextsOf, dockerHostsOf } from "./endpoints.js";
import { text } from "./values.js";

const junitTakesOne = (what: string) =>
  new QusError("QUS_USAGE", `--junit takes one engine: ${what} names several`, {
    hint: "run once per engine with its own --junit FILE, or drop --junit",
  });

/** A report command's output: one report, or one per engine, run at once, when --context names several. */
export async function reportsOf(values: Values, run: (values: Values) => Promise<Report>): Promise<CommandOutput> {
  const contexts = contextsOf(text(values, "context"));
  const hosts =
    contexts.length === 0 && text(values, "driver") === "docker" ? dockerHostsOf(process.env.DOCKER_HOST) : [];
  if (hosts.length > 1) {
    if (values.junit !== undefined) throw junitTakesOne("DOCKER_HOST");
    return { endpoints: await acrossContexts(hosts, (host) => run({ ...values, [HOST]: host }), "host") };
  }
  if (contexts.length <= 1) return { report: await run(values) };
  if ((text(values, "driver") ?? "local") === "local") await driverFrom(values); // says --context needs an engine
  if (values.junit !== undefined) throw junitTakesOne("--context");
  return { endpoints: await acrossContexts(contexts, (context) => run({ ...values, context })) };
}
