#!/usr/bin/env node
// qus's command: checks the Node.js version, then loads the bundle (dist/, built by `npm run build`).
import module from "node:module";
import { nodeTooOld } from "./node-version.js";

const tooOld = nodeTooOld(process.versions.node, process.execPath);
if (tooOld !== undefined) {
  process.stderr.write(tooOld);
  process.exit(3);
}
// Reuses V8's compiled code across runs (Node 22.1+): a measurable share of a short run's start-up.
module.enableCompileCache?.();
const { main, installSignalHandlers } = await import("../dist/qus.js");
installSignalHandlers();
process.exitCode = await main(process.argv.slice(2));
