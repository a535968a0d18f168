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
# The balancer's list of API servers (mk-balancer.service): adds the HOST:PORTs given that the file
# lacks, keeping the rest (the balancer itself keeps it to the kubernetes Service's endpoints later).
# Written to a temporary file and renamed: the balancer never reads half of it.
seed_apiservers() { # file, HOST:PORT...
  local file="$1" a
  shift
  : >"$file.seed"
  [ ! -s "$file" ] || cat "$file" >"$file.seed"
  for a in "$@"; do grep -qxF -- "$a" "$file.seed" || echo "$a" >>"$file.seed"; done
  mv "$file.seed" "$file"
}
# HOST:PORT of an address and port, an IPv6 address in brackets.
host_port() { if [[ "$1" == *:* ]]; then echo "[$1]:$2"; else echo "$1:$2"; fi; }
