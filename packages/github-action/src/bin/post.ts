// dist/post.js, as the runner starts it (action.yml `post`). The logic is in ../post.ts, which local-action imports.
import { run } from "../post.js";
import { stopOnCancel } from "../signals.js";

stopOnCancel();
await run();
