#!/usr/bin/env node
// The bundle is one file so the command starts fast; build it with `npm run build`.
import module from "node:module";

// Reuses V8's compiled code across runs (Node 22.1+): a measurable share of a short run's start-up.
module.enableCompileCache?.();
const { main, installSignalHandlers } = await import("../dist/qus.js");
installSignalHandlers();
process.exitCode = await main(process.argv.slice(2));
