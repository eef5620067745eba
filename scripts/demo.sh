#!/usr/bin/env bash
# The embedded-defaults demo: a data directory in .data (created when
# missing), a few sample events, and a full verification of the ledger.
set -euo pipefail
bin=${BIN:-bin/frontdesk}
export FRONTDESK_DATA=${FRONTDESK_DATA:-$PWD/.data}

if [ ! -f "$FRONTDESK_DATA/system.db" ]; then
  "$bin" init --workspace demo --workspace-name "Demo Family Clinic"
fi

"$bin" ledger append --entity patient/synthetic-1 --type patient.registered --source ehr \
  --attr mrn-system=demo --phi-file - <<'PHI'
name=Ada Synthetic
birthDate=1980-03-03
phone=555-0100
PHI
"$bin" ledger append --entity patient/synthetic-1 --type patient.pharmacy-stated --source voice \
  --attr call=call/demo-1 --phi 'pharmacy=Main Street Pharmacy'
"$bin" ledger checkpoint --out "$FRONTDESK_DATA/latest-checkpoint.txt" >/dev/null
"$bin" ledger verify --checkpoint "$FRONTDESK_DATA/latest-checkpoint.txt"
