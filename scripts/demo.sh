#!/usr/bin/env bash
# `make run`: the appliance on its embedded defaults. A demonstration clinic
# in .data (created on first run from the synthetic Synthea bundles in
# testdata), the ledger verified, then the receptionist answering SIP and
# browser calls until Ctrl-C.
set -euo pipefail
bin=${BIN:-bin/frontdesk}
export FRONTDESK_DATA=${FRONTDESK_DATA:-$PWD/.data}

"$bin" demo --bundles testdata/fhir/synthea
"$bin" ledger verify >/dev/null && echo "ledger verified" >&2
exec "$bin" serve
