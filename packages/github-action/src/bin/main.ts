// dist/main.js, as the runner starts it (action.yml `main`). The logic is in ../main.ts, which local-action imports.
import { run } from "../main.js";
import { stopOnCancel } from "../signals.js";

stopOnCancel();
await run();
