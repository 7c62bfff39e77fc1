// Checked by bin/qus.js before qus's own code loads: that code needs Node.js 22, and on an older one it fails with a
// stack trace. Plain JavaScript that any Node.js runs.

/** The minimum Node.js major version qus runs on (package.json's engines). */
export const MIN_NODE_MAJOR = 22;

/**
 * The error text for a Node.js older than qus needs, in the CLI's error format (exit 3); undefined when it is new
 * enough.
 * @param {string} version process.versions.node
 * @param {string} execPath process.execPath
 * @returns {string | undefined}
 */
export function nodeTooOld(version, execPath) {
  const major = Number(version.split(".")[0]);
  if (major >= MIN_NODE_MAJOR) return undefined;
  return (
    `qus: error QUS_NODE_TOO_OLD: qus needs Node.js ${MIN_NODE_MAJOR} or later, and this is Node.js ${version} (${execPath})\n` +
    `hint: install Node.js ${MIN_NODE_MAJOR} or later (nodejs.org, or your distribution's nodejs package), then run qus again\n`
  );
}
