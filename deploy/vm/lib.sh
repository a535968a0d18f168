# Helpers of install.sh and control-plane-join.sh (sourced; NODE is Node 24 once setup.sh ran).
die() {
  echo "install.sh: $*" >&2
  exit 1
}
step() { printf '\033[1mmk install:\033[0m %s\n' "$*" >&2; }
wait_http() { # url, what
  for _ in $(seq 1 120); do
    "$NODE" -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1" && return 0
    sleep 1
  done
  die "$2 did not become healthy at $1 within 2 minutes (journalctl -u $2)"
}
