#!/usr/bin/env bash
# A throwaway OpenLDAP directory for the tests, from Debian's `slapd`
# package (installed here when missing and we are root).
#
#   slapd.sh run -- CMD...   start slapd on a free loopback port with a few
#                            people and groups, run CMD, stop slapd afterwards
#                            (also on failure or ^C). CMD sees:
#                              ROPC_TEST_LDAP_URL       ldap://127.0.0.1:PORT
#                              ROPC_TEST_LDAP_BASE      dc=example,dc=org
#                              ROPC_TEST_LDAP_BIND_DN   a read-only service account
#                              ROPC_TEST_LDAP_BIND_PASSWORD
#                              ROPC_TEST_LDAP_CTL       this script
#                            With ROPC_TEST_LDAP_URL already set, just runs CMD.
#   slapd.sh stop | start    stop or start the running test directory again,
#                            on the same port: for tests of an outage.
#
# People (password = "<uid>-pw"): alice (staff, finance), bob (staff),
# dave (staff, disabled: member of cn=disabled). Everything lives in
# build/slapd.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
base="$top/build/slapd"
envfile="$base/env"

# shellcheck source=common.sh
. "$top/tests/services/common.sh"

ensure_installed() {
  ensure_packages 'test -x /usr/sbin/slapd && command -v ldapwhoami' "OpenLDAP" slapd ldap-utils
}

ctl() {
  # shellcheck disable=SC1090
  . "$envfile"
  case "$1" in
    stop)
      if [ -f "$base/slapd.pid" ]; then
        pid=$(cat "$base/slapd.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      fi ;;
    start)
      /usr/sbin/slapd -f "$base/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/"
      for _ in $(seq 1 100); do
        ldapwhoami -x -H "ldap://127.0.0.1:$LDAP_PORT/" -D "$BIND_DN" -w "$BIND_PW" >/dev/null 2>&1 && return 0
        sleep 0.05
      done
      echo "slapd did not start" >&2
      return 1 ;;
  esac
}

case "${1:-}" in
  stop|start) ctl "$1"; exit 0 ;;
  run) shift; [ "${1:-}" = "--" ] && shift ;;
  *) echo "usage: $0 run -- CMD... | stop | start" >&2; exit 2 ;;
esac

if [ -n "${ROPC_TEST_LDAP_URL:-}" ]; then
  exec "$@"
fi

ensure_installed
rm -rf "$base"
mkdir -p "$base/data"
port=$(free_port)
suffix="dc=example,dc=org"
root_pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
bind_pw=$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')
bind_dn="cn=reader,$suffix"
cat > "$envfile" <<ENV
LDAP_PORT=$port
BIND_DN=$bind_dn
BIND_PW=$bind_pw
ENV

cat > "$base/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile $base/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
database mdb
maxsize 67108864
suffix "$suffix"
rootdn "cn=admin,$suffix"
rootpw $(/usr/sbin/slappasswd -s "$root_pw")
directory $base/data
# People bind as themselves; nobody reads a password hash; the service
# account reads the rest.
access to attrs=userPassword by anonymous auth by self auth by * none
access to * by dn.exact="$bind_dn" read by self read by * none
CONF

person() { # uid groups...
  cat <<LDIF
dn: uid=$1,ou=people,$suffix
objectClass: inetOrgPerson
uid: $1
cn: $1
sn: $1
userPassword: $(/usr/sbin/slappasswd -s "$1-pw")

LDIF
}
group() { # cn members...
  local cn=$1; shift
  echo "dn: cn=$cn,ou=groups,$suffix"
  echo "objectClass: groupOfNames"
  echo "cn: $cn"
  for m in "$@"; do echo "member: uid=$m,ou=people,$suffix"; done
  echo
}
{
  printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n' "$suffix"
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$suffix"
  printf 'dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n' "$suffix"
  printf 'dn: %s\nobjectClass: simpleSecurityObject\nobjectClass: organizationalRole\ncn: reader\nuserPassword: %s\n\n' \
    "$bind_dn" "$(/usr/sbin/slappasswd -s "$bind_pw")"
  person alice; person bob; person dave
  group staff alice bob dave
  group finance alice
  group disabled dave
} > "$base/seed.ldif"
/usr/sbin/slapadd -q -f "$base/slapd.conf" -l "$base/seed.ldif"

stop_slapd() { ctl stop || true; }
trap stop_slapd EXIT
trap 'exit 130' INT TERM
ctl start
echo "== OpenLDAP slapd on 127.0.0.1:$port (build/slapd)" >&2
export ROPC_TEST_LDAP_URL="ldap://127.0.0.1:$port"
export ROPC_TEST_LDAP_BASE="$suffix"
export ROPC_TEST_LDAP_BIND_DN="$bind_dn"
export ROPC_TEST_LDAP_BIND_PASSWORD="$bind_pw"
export ROPC_TEST_LDAP_CTL="$0"
set +e
"$@"
status=$?
exit $status
