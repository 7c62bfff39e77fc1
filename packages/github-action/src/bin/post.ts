// dist/post.js, as the runner starts it (action.yml `post`). The logic is in ../post.ts, which local-action imports.

import { installInterruptHandlers } from "@qus/ci";
import { run } from "../post.js";

installInterruptHandlers();
await run();
