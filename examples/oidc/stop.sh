#!/usr/bin/env bash
# Stops what start.sh started for one run directory (argument 1, $OIDC_EXAMPLE_DIR, or the last run),
# by the pids it recorded in <run>/pids: each process was started in its own session, so its process
# group (the process and its workers) gets SIGTERM, then SIGKILL after 10 s. Nothing else is touched.
# With --clean, the run directory is removed afterwards.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
clean=false
if [ "${1:-}" = --clean ]; then clean=true; shift; fi
RUN=${1:-${OIDC_EXAMPLE_DIR:-$(cat "$HERE/.last-run" 2>/dev/null || true)}}
[ -n "$RUN" ] && [ -d "$RUN/pids" ] || { echo "stop: no run directory with pids/ (got '${RUN}')" >&2; exit 1; }

alive() { kill -0 "$1" 2>/dev/null; }
# The gateway first, the directory last: the reverse of the start.
for name in apache tessera nginx llng slapd; do
  file="$RUN/pids/$name.pid"
  [ -f "$file" ] || continue
  pid=$(cat "$file")
  if [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      echo "stop: $name ($pid) still running after 10 s; SIGKILL" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "stopped $name ($pid)"
  fi
  rm -f "$file"
done
if [ "$(cat "$HERE/.last-run" 2>/dev/null || true)" = "$RUN" ]; then rm -f "$HERE/.last-run"; fi
if $clean; then rm -rf "$RUN"; fi
