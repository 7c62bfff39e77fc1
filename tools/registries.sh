#!/usr/bin/env bash
# Starts and stops, on loopback, the two real registries a release publishes to: an npm registry (verdaccio, from
# tools/setup-registries.sh) and an OCI registry (Debian's docker-registry). Used by the release rehearsal
# (e2e/release-rehearsal.kernel.test.ts) and by hand to try a release without publishing it.
#
# Usage: tools/registries.sh start|stop|env
#   start  starts both (idempotent: a running pair is kept), waits until each answers, prints the env lines
#   env    prints the env lines of the running pair (exit 1 when none runs):
#            QUS_NPM_REGISTRY=http://127.0.0.1:PORT/   npm's registry (verdaccio: @qus/* published here, the rest
#                                                      proxied from the uplink)
#            QUS_NPMRC=FILE                            a userconfig naming that registry with a publish token
#            QUS_OCI_REGISTRY=127.0.0.1:PORT           the OCI registry (plain HTTP: loopback is insecure-allowed)
#   stop   stops both (their whole process groups) and removes their folder
#
# Overrides: QUS_REGISTRIES_DIR (state, storage and logs; default /tmp/qus-registries), QUS_VERDACCIO_PREFIX
# (/opt/qus-verdaccio), QUS_NPM_UPLINK (https://registry.npmjs.org/), QUS_NPM_PORT and QUS_OCI_PORT (free ports).
set -euo pipefail

DIR=${QUS_REGISTRIES_DIR:-/tmp/qus-registries}
VERDACCIO=${QUS_VERDACCIO_PREFIX:-/opt/qus-verdaccio}/node_modules/.bin/verdaccio
UPLINK=${QUS_NPM_UPLINK:-https://registry.npmjs.org/}
WAIT_SECONDS=60
say() { echo "registries: $*" >&2; }
die() {
  echo "registries: $*" >&2
  exit 1
}

alive() { [ -s "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

# A free TCP port on 127.0.0.1, as the kernel hands one out.
free_port() {
  node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close(); });'
}

# Waits (bounded) until URL answers HTTP with a status below 500; the log of NAME is shown when it never does.
wait_http() {
  local name=$1 url=$2 waited=0
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    alive "$name" || die "$name exited before answering at $url: $(tail -n 20 "$DIR/$name.log" 2>/dev/null)"
    waited=$((waited + 1))
    [ "$waited" -le "$WAIT_SECONDS" ] || die "$name did not answer at $url within ${WAIT_SECONDS}s: $(tail -n 20 "$DIR/$name.log")"
    sleep 1
  done
}

# Starts a program in its own session (its own process group), detached, logging to DIR/NAME.log.
launch() {
  local name=$1
  shift
  setsid "$@" </dev/null >"$DIR/$name.log" 2>&1 &
  echo "$!" >"$DIR/$name.pid"
}

start_verdaccio() {
  local port=${QUS_NPM_PORT:-$(free_port)}
  mkdir -p "$DIR/npm/storage"
  # Anyone may read; @qus/* is published here by any user with a token (or anonymously); the rest comes through.
  cat >"$DIR/npm/config.yaml" <<EOF
storage: $DIR/npm/storage
auth:
  htpasswd:
    file: $DIR/npm/htpasswd
    max_users: 100
uplinks:
  npmjs:
    url: $UPLINK
    timeout: 60s
packages:
  '@qus/*':
    access: \$all
    publish: \$all
    unpublish: \$all
  '**':
    access: \$all
    publish: \$authenticated
    proxy: npmjs
server:
  keepAliveTimeout: 60
logs: { type: stdout, format: pretty, level: warn }
EOF
  launch npm "$VERDACCIO" --config "$DIR/npm/config.yaml" --listen "127.0.0.1:$port"
  echo "http://127.0.0.1:$port/" >"$DIR/npm.url"
  wait_http npm "http://127.0.0.1:$port/-/ping"
  # A user of its own, for a token npm publish sends (npm asks for credentials before it publishes).
  local answer token
  answer=$(curl -fsS --max-time 10 -X PUT -H 'content-type: application/json' \
    -d '{"name":"qus-release","password":"qus-release-rehearsal"}' \
    "http://127.0.0.1:$port/-/user/org.couchdb.user:qus-release") || die "verdaccio refused to create a user"
  token=$(printf '%s' "$answer" | node -e 'let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () =>
    console.log(JSON.parse(s).token ?? ""))')
  [ -n "$token" ] || die "verdaccio gave no token: $answer"
  printf 'registry=http://127.0.0.1:%s/\n//127.0.0.1:%s/:_authToken=%s\n' "$port" "$port" "$token" >"$DIR/npmrc"
}

start_oci() {
  local port=${QUS_OCI_PORT:-$(free_port)}
  mkdir -p "$DIR/oci/storage"
  cat >"$DIR/oci/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/oci/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
EOF
  launch oci /usr/bin/docker-registry serve "$DIR/oci/config.yml"
  echo "127.0.0.1:$port" >"$DIR/oci.address"
  wait_http oci "http://127.0.0.1:$port/v2/"
}

print_env() {
  echo "QUS_NPM_REGISTRY=$(cat "$DIR/npm.url")"
  echo "QUS_NPMRC=$DIR/npmrc"
  echo "QUS_OCI_REGISTRY=$(cat "$DIR/oci.address")"
}

# Ends one registry's whole process group: TERM, then KILL after a bounded wait.
stop_one() {
  local name=$1 pid waited=0
  [ -s "$DIR/$name.pid" ] || return 0
  pid=$(cat "$DIR/$name.pid")
  kill -TERM -- "-$pid" 2>/dev/null || true
  while kill -0 -- "-$pid" 2>/dev/null && [ "$waited" -lt 20 ]; do
    sleep 0.25
    waited=$((waited + 1))
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  rm -f "$DIR/$name.pid"
}

stop_all() {
  stop_one npm
  stop_one oci
  rm -rf "$DIR"
}

case "${1:-}" in
  start)
    if alive npm && alive oci; then
      say "already running ($DIR)"
    else
      [ -x "$VERDACCIO" ] || die "verdaccio is missing: run bash tools/setup-registries.sh ($VERDACCIO)"
      [ -x /usr/bin/docker-registry ] || die "docker-registry is missing: run bash tools/setup-registries.sh"
      # A half-started pair (one died) is stopped first: start gives both or neither.
      stop_all
      mkdir -p "$DIR"
      trap 'stop_all' ERR
      start_verdaccio
      start_oci
      trap - ERR
      say "started: npm $(cat "$DIR/npm.url"), OCI $(cat "$DIR/oci.address") ($DIR)"
    fi
    print_env
    ;;
  env)
    alive npm && alive oci || die "not running: tools/registries.sh start"
    print_env
    ;;
  stop)
    stop_all
    say "stopped"
    ;;
  *)
    echo "usage: tools/registries.sh start|stop|env" >&2
    exit 2
    ;;
esac
