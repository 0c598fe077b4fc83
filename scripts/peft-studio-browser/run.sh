#!/bin/bash
# Their two React components, unchanged, built with Vite and driven in Debian's Chromium
# (playwright-core from npm, no browser download) against `peft-telemetry serve`.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-$(git rev-parse --show-toplevel)/.venv/bin/python}
export PEFT_TELEMETRY_SECRETS=file PEFT_TELEMETRY_UPLOAD_WORKER=0
rm -rf data && npx vite build >/dev/null
PORT=18765 VPORT=18766
"$PY" -m peft_telemetry_gui.cli serve --port $PORT --data-dir "$PWD/data" > serve.out 2> serve.err &
SP=$!
API=http://127.0.0.1:$PORT node node_modules/vite/bin/vite.js preview --port $VPORT --strictPort > vite.out 2>&1 &
VP=$!
trap 'kill $VP 2>/dev/null || true; kill $SP 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  sleep 0.2
  grep -q Serving serve.out && curl -s -o /dev/null http://127.0.0.1:$VPORT/ && break
done
URL=http://127.0.0.1:$VPORT/ PY="$PY" DATA="$PWD/data" timeout 120 node e2e.mjs
kill -TERM $SP; wait $SP; echo "serve exit: $?"
"$PY" -m peft_telemetry_gui.cli --data-dir "$PWD/data" status | head -3
