// The shell the generated jobs run (POSIX sh: Alpine's ash in docker:* images, bash in the shell executor). Every
// value from an input reaches it only through an environment variable, always expanded inside double quotes, except
// the qus command, which is split on blanks with globbing off (`set -f`): no input is ever read as shell code.

/** Where the job keeps what it reports (relative to the project folder, as artifacts are). */
export const REPORT_DIR = "qus-report";

/** Prints each platform's result and hint, and writes the dotenv file with the platforms that passed. */
const SUMMARY_JS = [
  'const fs = require("node:fs");',
  'const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));',
  // An error document (qus --json that stopped) has no platforms: its error is printed, the dotenv stays empty.
  'if (r.error) console.log("qus: error " + r.error.code + ": " + r.error.message + (r.error.hint ? "\\nhint: " + r.error.hint : ""));',
  "const rows = !Array.isArray(r.platforms) ? [] : r.binfmt",
  "  ? r.platforms.map((p) => ({ platform: p.platform, ok: p.proven === true, why: p.reason, hint: p.hint }))",
  "  : r.platforms.map((p) => ({ platform: p.platform, ok: p.ok, hint: p.hint,",
  '      why: [p.error && p.error.message, p.verification].filter(Boolean).join("; ") }));',
  "for (const row of rows) {",
  '  console.log("qus: " + row.platform + ": " + (row.ok ? "ok" : "FAILED" + (row.why ? ": " + row.why : "")));',
  '  if (!row.ok && row.hint) console.log("hint: " + row.hint);',
  "}",
  'const ok = rows.filter((row) => row.ok).map((row) => row.platform).join(",");',
  'fs.writeFileSync(process.argv[2], "QUS_PLATFORMS=" + ok + "\\n");',
].join("\n");

/** The job's before_script: reach the engine, run qus, and always leave a JSON report, a JUnit file and a dotenv. */
export function jobScript(): string {
  if (SUMMARY_JS.includes("'")) throw new Error("the summary script must not contain single quotes");
  return `set -u
qus_dir=${REPORT_DIR}
mkdir -p "$qus_dir"
rm -f "$qus_dir/qus.json" "$qus_dir/junit.xml" "$qus_dir/qus.env"
printf 'QUS_PLATFORMS=\\n' >"$qus_dir/qus.env"
qus_xml() { printf '%s' "$1" | sed -e 's/&/\\&amp;/g' -e 's/</\\&lt;/g' -e 's/>/\\&gt;/g' -e 's/"/\\&quot;/g'; }
qus_fail_junit() {
  # qus stopped before writing its JUnit file: one failed case per platform asked for, so the widget names them.
  [ -s "$qus_dir/junit.xml" ] && return 0
  {
    printf '<?xml version="1.0" encoding="UTF-8"?>\\n<testsuites name="qus">\\n'
    printf '  <testsuite name="qus %s">\\n' "$(qus_xml "$QUS_INPUT_MODE")"
    qus_ifs=$IFS; IFS=,; set -f
    for qus_p in \${qus_platforms:-none}; do
      printf '    <testcase classname="qus.%s" name="%s">\\n' "$(qus_xml "$QUS_INPUT_MODE")" "$(qus_xml "$qus_p")"
      printf '      <failure type="exit-%s" message="%s"/>\\n    </testcase>\\n' "$1" "$(qus_xml "$2")"
    done
    set +f; IFS=$qus_ifs
    printf '  </testsuite>\\n</testsuites>\\n'
  } >"$qus_dir/junit.xml"
}
qus_platforms=$(printf '%s' "$QUS_INPUT_PLATFORMS" | tr -d '\\133\\135\\042 ')
if ! command -v node >/dev/null 2>&1 && command -v apk >/dev/null 2>&1; then
  echo "qus: installing Node.js (apk add nodejs npm)"
  apk add --no-cache nodejs npm >/dev/null
fi
if [ -z "\${DOCKER_HOST:-}" ] && [ ! -S /var/run/docker.sock ]; then
  export DOCKER_HOST=tcp://docker:2376 DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="\${DOCKER_TLS_CERTDIR:-/certs}/client"
  echo "qus: no docker socket here: using the docker:dind service at $DOCKER_HOST"
  qus_wait=0
  while ! docker info >/dev/null 2>&1 && [ "$qus_wait" -lt 60 ]; do qus_wait=$((qus_wait + 1)); sleep 1; done
fi
set -f
# shellcheck disable=SC2086 # split on blanks on purpose: the qus input is a command and its arguments
set -- $QUS_COMMAND
set +f
case "$QUS_INPUT_MODE" in
  ensure) set -- "$@" ensure --driver docker ;;
  buildx) set -- "$@" buildx ;;
  verify) set -- "$@" verify --driver docker ;;
  *)
    echo "qus: error: mode must be ensure, buildx or verify, not: $QUS_INPUT_MODE" >&2
    qus_fail_junit 2 "mode must be ensure, buildx or verify"
    exit 2
    ;;
esac
echo "qus: $QUS_INPUT_MODE on the kernel of the job's Docker engine for: $qus_platforms"
qus_status=0
"$@" --platforms "$qus_platforms" --json --junit "$qus_dir/junit.xml" >"$qus_dir/qus.json" || qus_status=$?
if [ -s "$qus_dir/qus.json" ] && command -v node >/dev/null 2>&1; then
  node -e '${SUMMARY_JS}' "$qus_dir/qus.json" "$qus_dir/qus.env" || { [ "$qus_status" -ne 0 ] || qus_status=1; }
fi
QUS_PLATFORMS=$(sed -n 's/^QUS_PLATFORMS=//p' "$qus_dir/qus.env")
export QUS_PLATFORMS
if [ "$qus_status" -ne 0 ]; then
  qus_fail_junit "$qus_status" "qus exited $qus_status: see the job log for its error and hint"
  echo "qus: failed (exit $qus_status): see the error and hint above; reports in $qus_dir/" >&2
  exit "$qus_status"
fi
echo "qus: ready for $QUS_PLATFORMS"
`;
}
