#!/usr/bin/env bash
# Runs every process of the stack under one supervisor (honcho + Procfile); Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .run

bold=$'\033[1m'; reset=$'\033[0m'
cat <<BANNER

${bold}Bank sync jobs: the stack is starting${reset}

  App (frontend)      http://127.0.0.1:3000
  API + OpenAPI docs  http://127.0.0.1:8000/docs
  Flower (Celery)     http://127.0.0.1:5555   (login: ${FLOWER_BASIC_AUTH:-admin:change-me})
  Dagster             http://127.0.0.1:3070
  Bank emulator       http://127.0.0.1:8088

  Demo login          demo@example.com / demo-password

BANNER
exec uv run --frozen honcho start -f Procfile
