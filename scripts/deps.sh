#!/usr/bin/env bash
# Installs what `make run` and `make test` need on a Debian machine, when it
# is missing: Debian packages through apt-get and Go modules through the
# module proxy. Safe to run repeatedly; does nothing when all is present.
set -euo pipefail

packages=(
  libpocketsphinx-dev libsphinxbase-dev pocketsphinx-en-us   # local speech recognition
  flite1-dev                                                 # local speech synthesis
  baresip sip-tester                                         # SIP peers for tests
  chromium                                                   # WebRTC peer for tests (headless)
  espeak-ng sox                                              # test audio
  pkg-config gcc                                             # cgo
)
if [ "${FRONTDESK_DEPS_EXTRA:-}" != "" ]; then
  read -r -a extra <<<"$FRONTDESK_DEPS_EXTRA"
  packages+=("${extra[@]}")
fi

# The FHIR test server runs on Node 22, which scripts/fhir-server.sh installs
# with npm; Debian's npm serves when the machine has none.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

go mod download
