#!/usr/bin/env bash
# Makes sure the tools and services the project needs are here and running:
# uv, Node.js, PostgreSQL (with the project's role and database) and Redis.
# Uses what is already running; otherwise starts or installs Debian's packages;
# falls back to Docker Compose only when a Docker engine answers.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
REDIS_PORT=6379
DB_ROLE=bankjobs
DB_NAME=bankjobs

log() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
die() { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }
have() { command -v "$1" >/dev/null 2>&1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi
}

apt_install() {
  have apt-get || return 1
  log "installing $* (apt)"
  if [ -z "${_APT_UPDATED:-}" ]; then as_root apt-get update -qq || true; _APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

docker_engine() { have docker && docker info >/dev/null 2>&1; }

ensure_uv() {
  if have uv; then return; fi
  log "installing uv"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv \
    || die "could not install uv; see https://docs.astral.sh/uv/"
  export PATH="$HOME/.local/bin:$PATH"
  have uv || die "uv installed but not on PATH; add ~/.local/bin to PATH"
}

ensure_node() {
  if have node && have npm; then return; fi
  apt_install nodejs npm || die "Node.js 20+ and npm are needed for the frontend"
}

pg_up() { have pg_isready && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

ensure_postgres() {
  if pg_up; then return; fi
  if ! have pg_ctlcluster && ! docker_engine; then apt_install postgresql postgresql-client || true; fi
  if have pg_ctlcluster; then
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || die "PostgreSQL is installed but has no cluster; run pg_createcluster"
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  elif docker_engine; then
    log "starting PostgreSQL with Docker Compose"
    docker compose up -d postgres
  fi
  for _ in $(seq 1 30); do pg_up && return; sleep 1; done
  die "PostgreSQL is not answering on $PG_HOST:$PG_PORT"
}

psql_admin() {
  # Superuser access: trust over TCP where allowed, else the postgres OS user.
  if psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -tAc 'select 1' >/dev/null 2>&1; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAc "$1"
  else
    as_root su postgres -c "psql -d postgres -v ON_ERROR_STOP=1 -tAc \"$1\""
  fi
}

ensure_database() {
  if PGPASSWORD=$DB_ROLE psql -h "$PG_HOST" -p "$PG_PORT" -U "$DB_ROLE" -d "$DB_NAME" -tAc 'select 1' >/dev/null 2>&1; then
    return
  fi
  log "creating role $DB_ROLE and database $DB_NAME"
  if [ "$(psql_admin "select 1 from pg_roles where rolname='$DB_ROLE'")" != 1 ]; then
    psql_admin "create role $DB_ROLE login createdb password '$DB_ROLE'"
  fi
  if [ "$(psql_admin "select 1 from pg_database where datname='$DB_NAME'")" != 1 ]; then
    psql_admin "create database $DB_NAME owner $DB_ROLE"
  fi
}

redis_up() {
  if have redis-cli; then redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping >/dev/null 2>&1; else
    (exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT) 2>/dev/null; fi
}

ensure_redis() {
  if redis_up; then return; fi
  if ! have redis-server && ! docker_engine; then apt_install redis-server || true; fi
  if have redis-server; then
    log "starting Redis"
    mkdir -p /tmp/bankjobs-redis
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /tmp/bankjobs-redis --logfile /tmp/bankjobs-redis/redis.log
  elif docker_engine; then
    log "starting Redis with Docker Compose"
    docker compose up -d redis
  fi
  for _ in $(seq 1 30); do redis_up && return; sleep 0.5; done
  die "Redis is not answering on 127.0.0.1:$REDIS_PORT"
}

ensure_chromium() {
  if [ -x /usr/bin/chromium ]; then return; fi
  apt_install chromium || die "Chromium is needed for the browser tests (apt-get install chromium)"
}

for step in "$@"; do "ensure_$step"; done
