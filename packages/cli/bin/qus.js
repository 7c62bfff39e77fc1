#!/usr/bin/env node
// The bundle is one file so the command starts fast; build it with `npm run build`.
import { main } from "../dist/qus.js";

process.exitCode = await main(process.argv.slice(2));
