// dist/main.js, as the runner starts it (action.yml `main`). The logic is in ../main.ts, which local-action imports.

import { installInterruptHandlers } from "@qus/ci";
import { run } from "../main.js";

installInterruptHandlers();
await run();
