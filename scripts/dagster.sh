#!/usr/bin/env bash
# Runs the Dagster webserver or daemon for `make up` (see Procfile):
#   scripts/dagster.sh webserver | daemon
# DAGSTER_HOME defaults to .dagster/ with deploy/dagster/dagster.yaml; storage is the
# DAGSTER_DATABASE_URL database (created on first start). The webserver listens on the host
# and port of DAGSTER_URL (default 127.0.0.1:3070): Dagster has no authentication, keep it
# on loopback or a private network.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
eval "$(python scripts/dagster_prepare.py)"
case "${1:-}" in
  webserver)
    exec dagster-webserver -h "$DAGSTER_WEBSERVER_HOST" -p "$DAGSTER_WEBSERVER_PORT" -w workspace.yaml ;;
  daemon)
    exec dagster-daemon run -w workspace.yaml ;;
  *)
    echo "usage: $0 webserver|daemon" >&2; exit 2 ;;
esac
