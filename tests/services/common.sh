# Shared by the throwaway-service scripts (postgres.sh, slapd.sh): sourced.

# A free TCP port on the loopback interface.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Installs Debian packages when `check` (a command) fails, as root with
# apt-get; otherwise says what to install and exits.
#   ensure_packages "check command" "what it is for" package...
ensure_packages() {
  local check=$1 what=$2
  shift 2
  if ! sh -c "$check" >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "== installing $* (Debian)" >&2
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    else
      echo "the tests need $what: sudo apt-get install -y $*" >&2
      exit 1
    fi
  fi
}
