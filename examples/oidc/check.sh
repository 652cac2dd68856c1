#!/usr/bin/env bash
# Checks the running example (see check.mjs for the steps): PASS/FAIL per step, non-zero exit on any
# failure. Takes the run directory as start.sh and stop.sh do (argument 1, $OIDC_EXAMPLE_DIR, or the
# last run).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
RUN=${1:-${OIDC_EXAMPLE_DIR:-$(cat "$HERE/.last-run" 2>/dev/null || true)}}
[ -n "$RUN" ] && [ -f "$RUN/env" ] || { echo "check: no run directory with env (got '${RUN}'); run start.sh first" >&2; exit 2; }
exec node "$HERE/check.mjs" "$RUN"
