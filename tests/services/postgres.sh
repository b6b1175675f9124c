#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, from Debian's `postgresql` package
# (installed here when missing and we are root).
#
#   postgres.sh run -- CMD...   start a cluster on a free loopback port, run
#                               CMD with ROPC_TEST_POSTGRES_URL set, stop the
#                               cluster afterwards (also on failure or ^C);
#                               ROPC_TEST_PSQL is its psql, ROPC_TEST_POSTGRES_CTL
#                               this script.
#                               With ROPC_TEST_POSTGRES_URL already set, just
#                               runs CMD (so targets nest).
#   (fsync is off for speed, unless ROPC_TEST_POSTGRES_FSYNC=on: benchmarks.)
#   The server also speaks TLS: ROPC_TEST_POSTGRES_CA is the CA that signed
#   its certificate (for 127.0.0.1), ROPC_TEST_POSTGRES_OTHER_CA one that
#   did not.
#   postgres.sh stop | start    stop (immediately, as a crash would) or start
#                               the running test cluster again, on the same
#                               port: for tests of an outage.
#
# The cluster lives in build/postgres (data, socket, log); the server
# refuses to run as root, so as root it runs as the `postgres` user.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
# ROPC_TEST_POSTGRES_DIR: another directory (cargo test starts one cluster
# a test process, each in its own).
base="${ROPC_TEST_POSTGRES_DIR:-$top/build/postgres}"
envfile="$base/env"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pgbin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

# shellcheck source=common.sh
. "$top/tests/services/common.sh"

ensure_installed() {
  ensure_packages 'ls -d /usr/lib/postgresql/*/bin' "PostgreSQL" postgresql
}

ctl() {
  # shellcheck disable=SC1090
  . "$envfile"
  case "$1" in
    stop) as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null ;;
    start) as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -w -t 60 \
             -o "-p $PGPORT_ -k $PGSOCK -c listen_addresses=127.0.0.1 -c fsync=$PGFSYNC -c max_connections=300 \
                 -c ssl=on -c ssl_cert_file=$PGSOCK/server.crt -c ssl_key_file=$PGSOCK/server.key" \
             -l "$PGLOG" start >/dev/null ;;
  esac
}

case "${1:-}" in
  stop|start) ctl "$1"; exit 0 ;;
  run) shift; [ "${1:-}" = "--" ] && shift ;;
  *) echo "usage: $0 run -- CMD... | stop | start" >&2; exit 2 ;;
esac

if [ -n "${ROPC_TEST_POSTGRES_URL:-}" ]; then
  exec "$@"
fi

ensure_installed
rm -rf "$base"
mkdir -p "$base"
dir="$base"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$base"
  # The server must reach its directory: where a parent folder keeps the
  # postgres user out, the cluster lives in /tmp and build/postgres links to it.
  if ! runuser -u postgres -- test -w "$base"; then
    dir=$(mktemp -d /tmp/ropc-postgres.XXXXXX)
    chown postgres "$dir"
    chmod 700 "$dir"
  fi
fi
port=$(free_port)
cat > "$envfile" <<ENV
PGBIN=$(pgbin)
PGDATA_DIR=$dir/data
PGSOCK=$dir
PGLOG=$dir/pg.log
PGPORT_=$port
PGFSYNC=${ROPC_TEST_POSTGRES_FSYNC:-off}
ENV
# shellcheck disable=SC1090
. "$envfile"

stop_cluster() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA_DIR" -m immediate stop >/dev/null 2>&1 || true
  if [ "$dir" != "$base" ]; then rm -rf "$dir"; fi
  # A directory of one test process's own (ROPC_TEST_POSTGRES_DIR) goes too.
  if [ -n "${ROPC_TEST_POSTGRES_DIR:-}" ]; then rm -rf "$base"; fi
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

as_pg "$PGBIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres >/dev/null
# TLS for the tests of store.sslmode: a throwaway CA, a server certificate
# for 127.0.0.1 it signed, and another CA that signed nothing here.
tls() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ropc test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=another CA" \
    -keyout "$dir/other-ca.key" -out "$dir/other-ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/san.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 2 -extfile "$dir/san.ext" -out "$dir/server.crt" 2>/dev/null
  chmod 600 "$dir/server.key"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir/server.key" "$dir/server.crt"; fi
}
if ! tls; then
  echo "cannot make the test certificates (openssl)" >&2
  exit 1
fi
if ! ctl start; then
  cat "$PGLOG" >&2 || true
  exit 1
fi
echo "== PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (${base#"$top/"})" >&2
export ROPC_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
export ROPC_TEST_POSTGRES_CTL="$0"
export ROPC_TEST_PSQL="$PGBIN/psql"
export ROPC_TEST_POSTGRES_CA="$dir/ca.crt" ROPC_TEST_POSTGRES_OTHER_CA="$dir/other-ca.crt"
set +e
"$@"
status=$?
exit $status
