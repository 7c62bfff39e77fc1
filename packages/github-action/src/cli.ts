// dist/qus.js: the qus CLI, which the local driver runs as root through `sudo -n` when the job is not root (as
// packages/cli/bin/qus.js runs it). Bundled whole: the container engines and @qus/buildx, which the CLI loads on
// demand, are in this one file, since an action has no node_modules.
import { installSignalHandlers, main } from "@qus/cli/main";

installSignalHandlers();
process.exitCode = await main(process.argv.slice(2));
