// The qus CLI, bundled beside the task's entries (dist/qus.js): what the local driver runs through `sudo -n` when the
// job is not root, as packages/cli/bin/qus.js runs it.
import { installSignalHandlers, main } from "@qus/cli/main";

installSignalHandlers();
void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
