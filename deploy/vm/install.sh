#!/usr/bin/env bash
# Installs mk on a Debian/Ubuntu machine (a VM, usually) as systemd services, and makes it a control
# plane or a worker of a multi-node cluster:
#
#   install.sh control-plane --advertise-address IP [--join-file PATH] [--source DIR]
#   install.sh control-plane --join --server HOST:PORT --certificate-dir DIR --advertise-address IP
#                            [--node-name NAME] [--source DIR]
#   install.sh worker --server HOST:PORT --token T --ca-cert-hash sha256:H --node-ip IP
#                     [--node-name NAME] [--source DIR]
#
# Every address is checked against this host's before anything is installed: a node must advertise
# an address the others reach it at, and VirtualBox's NAT address (10.0.2.15, the same on every VM)
# is never one. Safe to run again: what is done is skipped, units are rewritten and restarted.
#
# The paths can be moved for tests and unusual layouts: MK_PREFIX (/opt/mk), MK_ETC (/etc/mk),
# MK_BIN (/usr/local/bin), MK_UNIT_DIR (/etc/systemd/system).
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MK_PREFIX="${MK_PREFIX:-/opt/mk}"
MK_ETC="${MK_ETC:-/etc/mk}"
MK_BIN="${MK_BIN:-/usr/local/bin}"
MK_UNIT_DIR="${MK_UNIT_DIR:-/etc/systemd/system}"
VIRTUALBOX_NAT_IP="10.0.2.15"
API_PORT=6443
REGISTRY_PORT=5000
# Every machine's one address for the API: mk-balancer.service, in front of every API server.
BALANCER=127.0.0.1:6440
# The cluster DNS: every API server answers on this port at its advertise address (the kube-dns
# Service's targetPort; 53 would clash with a resolver of the host's); pods ask the Service's
# ClusterIP, the tenth address of the service range (the API server's default 10.96.0.0/12).
DNS_PORT=10053
CLUSTER_DNS=10.96.0.10
CLUSTER_DOMAIN=cluster.local

usage() {
  cat >&2 <<'USAGE'
usage: install.sh control-plane --advertise-address IP [--join-file PATH] [--cluster-cidr CIDR]
                                 [--dns-upstream IP[:PORT],...] [--node-name NAME] [--source DIR]
       install.sh control-plane --join --server HOST:PORT --certificate-dir DIR --advertise-address IP
                                 [--cluster-cidr CIDR] [--dns-upstream ...] [--node-name NAME] [--source DIR]
       install.sh worker --server HOST:PORT --token TOKEN --ca-cert-hash sha256:HASH --node-ip IP
                         [--node-name NAME] [--cluster-cidr CIDR] [--source DIR]

  --advertise-address IP  the control plane's address, as the nodes reach it (one of this host's)
  --join-file PATH        also write MK_SERVER, MK_TOKEN, MK_CA_CERT_HASH there (0600) for the workers
  --join                  add this machine to a running cluster as one more control-plane member: an
                          etcd member (a learner, then promoted), an API server, a scheduler and a
                          controller manager (standbys: they elect a leader)
  --certificate-dir DIR   with --join: ca.crt, ca.key and bootstrap-tokens copied from the first
                          control plane's /etc/mk/pki (kubeadm's manual certificate distribution);
                          this machine's certificates are issued from that CA here
  --server HOST:PORT      the API server (`install.sh control-plane` prints it); with --join, a
                          control plane of the cluster (its etcd is asked at HOST:12379)
  --token TOKEN           the bootstrap token `mkctl cluster init` printed
  --ca-cert-hash HASH     the hash of the cluster CA's public key `mkctl cluster init` printed
  --node-ip IP            this node's address, as the control plane reaches it (one of this host's)
  --node-name NAME        this node's name, or the control plane's etcd member name (default: the hostname)
  --cluster-cidr CIDR     the pods' range, the same on every machine (default 10.244.0.0/16): the
                          controller manager gives each node a /24 of it, each kubelet routes the
                          others' (host-gw)
  --dns-upstream LIST     where the cluster DNS sends names outside cluster.local (default: this
                          host's resolvers, systemd-resolved's real ones rather than 127.0.0.53)
  --source DIR            the mk checkout to install (default: the one this script is in)
USAGE
}
# Usage errors exit 2 and name the argument; nothing has been changed when they happen.
die_usage() {
  echo "install.sh: $*" >&2
  echo "run 'install.sh --help' for usage" >&2
  exit 2
}
# die, step and wait_http, shared with control-plane-join.sh.
# shellcheck source=deploy/vm/lib.sh
. "$HERE/lib.sh"

# 1. Arguments ----------------------------------------------------------------------------------
[ $# -gt 0 ] || {
  usage
  exit 2
}
case "$1" in
-h | --help)
  usage
  exit 0
  ;;
control-plane | worker) ROLE="$1" ;;
*) die_usage "unknown role \"$1\": want control-plane or worker" ;;
esac
shift

JOIN="" CERTIFICATE_DIR="" DNS_UPSTREAM="" ADVERTISE_ADDRESS="" JOIN_FILE="" SERVER="" TOKEN="" CA_CERT_HASH="" NODE_IP="" NODE_NAME="" CLUSTER_CIDR="10.244.0.0/16"
SOURCE="$(cd "$HERE/../.." && pwd)"
while [ $# -gt 0 ]; do
  if [[ "$1" == --*=* ]]; then set -- "${1%%=*}" "${1#*=}" "${@:2}"; fi
  flag="$1"
  case "$flag" in
  -h | --help)
    usage
    exit 0
    ;;
  --join)
    value=1
    shift
    ;;
  --advertise-address | --join-file | --server | --token | --ca-cert-hash | --node-ip | --node-name | --cluster-cidr | --dns-upstream | --certificate-dir | --source)
    [ $# -ge 2 ] && [ -n "$2" ] && [ "${2#--}" = "$2" ] || die_usage "$flag needs a value"
    value="$2"
    shift 2
    ;;
  *) die_usage "unknown argument \"$flag\"" ;;
  esac
  case "$ROLE:$flag" in
  control-plane:--advertise-address) ADVERTISE_ADDRESS="$value" ;;
  control-plane:--join-file) JOIN_FILE="$value" ;;
  control-plane:--dns-upstream) DNS_UPSTREAM="$value" ;;
  control-plane:--join) JOIN=1 ;;
  control-plane:--server) SERVER="$value" ;;
  control-plane:--certificate-dir) CERTIFICATE_DIR="$value" ;;
  worker:--server) SERVER="$value" ;;
  worker:--token) TOKEN="$value" ;;
  worker:--ca-cert-hash) CA_CERT_HASH="$value" ;;
  worker:--node-ip) NODE_IP="$value" ;;
  *:--node-name) NODE_NAME="$value" ;;
  *:--cluster-cidr) CLUSTER_CIDR="$value" ;;
  *:--source) SOURCE="$value" ;;
  *) die_usage "$flag is not an option of $ROLE" ;;
  esac
done

is_ip() { [[ "$1" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || [[ "$1" =~ ^[0-9a-fA-F:]+$ && "$1" == *:* ]]; }

if [ "$ROLE" = control-plane ]; then
  [ -n "$ADVERTISE_ADDRESS" ] || die_usage "--advertise-address is required: the address the nodes reach the control plane at"
  is_ip "$ADVERTISE_ADDRESS" || die_usage "--advertise-address \"$ADVERTISE_ADDRESS\" is not an IP address"
  OWN_IP="$ADVERTISE_ADDRESS" OWN_FLAG="--advertise-address"
  if [ -n "$JOIN" ]; then
    [ -n "$SERVER" ] || die_usage "--join needs --server: a control plane of the cluster, HOST:PORT"
    [[ "$SERVER" =~ ^[^:/[:space:]]+:[0-9]+$ ]] || die_usage "--server \"$SERVER\": want HOST:PORT, e.g. 192.168.56.10:$API_PORT"
    [ -n "$CERTIFICATE_DIR" ] || die_usage "--join needs --certificate-dir: ca.crt, ca.key and bootstrap-tokens copied from the first control plane's /etc/mk/pki"
    for f in ca.crt ca.key bootstrap-tokens; do
      [ -s "$CERTIFICATE_DIR/$f" ] || die_usage "--certificate-dir \"$CERTIFICATE_DIR\" has no $f: copy it from the first control plane's /etc/mk/pki"
    done
    [ -z "$JOIN_FILE" ] || die_usage "--join-file is the first control plane's: the workers' join file comes from there"
  else
    [ -z "$SERVER" ] || die_usage "--server is an option of control-plane --join only"
    [ -z "$CERTIFICATE_DIR" ] || die_usage "--certificate-dir is an option of control-plane --join only"
  fi
else
  [ -n "$SERVER" ] || die_usage "--server is required: the API server, HOST:PORT"
  [ -n "$TOKEN" ] || die_usage "--token is required: the bootstrap token \`mkctl cluster init\` printed"
  [ -n "$CA_CERT_HASH" ] || die_usage "--ca-cert-hash is required: the sha256:HASH \`mkctl cluster init\` printed"
  [ -n "$NODE_IP" ] || die_usage "--node-ip is required: this node's address, as the control plane reaches it"
  [[ "$SERVER" =~ ^[^:/[:space:]]+:[0-9]+$ ]] || die_usage "--server \"$SERVER\": want HOST:PORT, e.g. 192.168.56.10:$API_PORT"
  [[ "$TOKEN" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die_usage "--token: want [a-z0-9]{6}.[a-z0-9]{16}, as \`mkctl cluster init\` prints it"
  [[ "$CA_CERT_HASH" =~ ^sha256:[0-9a-f]{64}$ ]] || die_usage "--ca-cert-hash \"$CA_CERT_HASH\": want sha256:<64 hex digits>"
  is_ip "$NODE_IP" || die_usage "--node-ip \"$NODE_IP\" is not an IP address"
  OWN_IP="$NODE_IP" OWN_FLAG="--node-ip"
fi
[ -z "$NODE_NAME" ] || [[ "$NODE_NAME" =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] ||
  die_usage "--node-name \"$NODE_NAME\": want lowercase letters, digits, '-' and '.'"
[[ "$CLUSTER_CIDR" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] || die_usage "--cluster-cidr \"$CLUSTER_CIDR\": want an IPv4 CIDR, e.g. 10.244.0.0/16"
[ -z "$DNS_UPSTREAM" ] || [[ "$DNS_UPSTREAM" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}(:[0-9]+)?(,([0-9]{1,3}\.){3}[0-9]{1,3}(:[0-9]+)?)*$ ]] ||
  die_usage "--dns-upstream \"$DNS_UPSTREAM\": want IP or IP:PORT, comma-separated"
[ -f "$SOURCE/deploy/setup.sh" ] || die_usage "--source \"$SOURCE\" is not an mk checkout (no deploy/setup.sh in it)"

# 2. The address must be this host's, and reachable by the others ---------------------------------
host_addresses() {
  if command -v ip >/dev/null 2>&1; then
    ip -o addr show | awk '{ split($4, a, "/"); print a[1] }'
  else
    hostname -I | tr ' ' '\n'
  fi
}
mapfile -t ADDRESSES < <(host_addresses | grep -v '^$')
if [ "$OWN_IP" = "$VIRTUALBOX_NAT_IP" ]; then
  die "$OWN_FLAG $OWN_IP is VirtualBox's NAT address: every VM has it and no VM can reach another's at it." \
    "Give the address on the private network (deploy/vm/Vagrantfile: 192.168.56.10 for the control plane, .11 and .12 for the workers)."
fi
found=""
for a in "${ADDRESSES[@]}"; do [ "$a" = "$OWN_IP" ] && found=1; done
[ -n "$found" ] || die "$OWN_FLAG $OWN_IP is not an address of this host (it has ${ADDRESSES[*]}); give the address the other machines reach this one at"
for a in "${ADDRESSES[@]}"; do
  if [ "$a" = "$VIRTUALBOX_NAT_IP" ]; then
    echo "install.sh: warning: this host also has VirtualBox's NAT address $VIRTUALBOX_NAT_IP; mk uses $OWN_IP, as given" >&2
  fi
done

[ "$(id -u)" = 0 ] || die "run as root (sudo $0 $ROLE ...): it installs packages and systemd services"

# 3. Packages ------------------------------------------------------------------------------------
# Node (any version: setup.sh brings Node 24 when it is older) and npm to start with, the rest as
# setup.sh would install them (installing them here once saves an apt-get update). No openssl: the
# PKI is made in-process.
missing=()
for pkg in ca-certificates iproute2 util-linux tar nodejs npm docker.io etcd-server docker-registry busybox-static; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  step "installing Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts its own etcd (127.0.0.1:2379) and registry (:5000) on install; mk runs its own
# (mk-etcd on 12379 with TLS, mk-registry), so theirs are stopped and kept off.
for unit in etcd.service docker-registry.service; do
  if systemctl list-unit-files "$unit" 2>/dev/null | grep -q "^$unit"; then
    if systemctl is-enabled --quiet "$unit" 2>/dev/null || systemctl is-active --quiet "$unit" 2>/dev/null; then
      step "stopping and disabling Debian's $unit (mk runs its own)"
      systemctl disable --now "$unit" >/dev/null 2>&1
    fi
  fi
done

# 4. Docker: running, and trusting the control plane's registry over plain HTTP -------------------
# (On a worker, `mkctl cluster join --registry` merges it into daemon.json and reloads dockerd.)
if [ "$ROLE" = control-plane ] && [ -z "$JOIN" ]; then REGISTRY="$ADVERTISE_ADDRESS:$REGISTRY_PORT"; else REGISTRY="${SERVER%:*}:$REGISTRY_PORT"; fi
daemon_json=/etc/docker/daemon.json
docker_changed=""
if [ "$ROLE" = worker ]; then
  :
elif ! [ -s "$daemon_json" ]; then
  mkdir -p /etc/docker
  printf '{\n  "insecure-registries": ["%s"]\n}\n' "$REGISTRY" >"$daemon_json"
  docker_changed=1
elif ! grep -q "\"$REGISTRY\"" "$daemon_json"; then
  echo "install.sh: warning: $daemon_json exists and does not list $REGISTRY in insecure-registries; add it to pull from the cluster's registry" >&2
fi
systemctl enable --now docker.service >/dev/null 2>&1
[ -z "$docker_changed" ] || systemctl restart docker.service

# 5. mk itself: the checkout copied to MK_PREFIX, built by setup.sh -----------------------------
if [ "$(cd "$SOURCE" && pwd -P)" != "$(mkdir -p "$MK_PREFIX" && cd "$MK_PREFIX" && pwd -P)" ]; then
  step "copying $SOURCE to $MK_PREFIX"
  # What the build makes is made again here: node_modules and Node itself are per platform.
  tar -C "$SOURCE" --exclude=./node_modules --exclude='./*/node_modules' --exclude=./.tools --exclude=./.git \
    --exclude='./*/dist' --exclude='*.tsbuildinfo' --exclude=./deploy/vm/.cluster --exclude=./deploy/vm/.vagrant -cf - . | tar -C "$MK_PREFIX" -xf -
fi
step "building mk in $MK_PREFIX (deploy/setup.sh: Node 24, npm ci, build, offline images)"
bash "$MK_PREFIX/deploy/setup.sh"
NODE="$MK_PREFIX/node_modules/.bin/node"
"$NODE" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' || die "$NODE is not Node 24 after setup.sh"

# Commands in MK_BIN that run each workspace's bin under Node 24, whatever `node` is on PATH
# (the bins' own `#!/usr/bin/env node` would find Debian's older Node under systemd).
mkdir -p "$MK_BIN"
for ws in apiserver scheduler controller kubelet kubectl; do
  while read -r name file; do
    printf '#!/bin/sh\nexec %s %s "$@"\n' "$NODE" "$MK_PREFIX/$ws/$file" >"$MK_BIN/$name.tmp"
    chmod 755 "$MK_BIN/$name.tmp"
    mv "$MK_BIN/$name.tmp" "$MK_BIN/$name"
  done < <("$NODE" -e 'for (const [n, f] of Object.entries(require(process.argv[1]).bin ?? {})) console.log(n, f)' "$MK_PREFIX/$ws/package.json")
done

# 6. Configuration and units -----------------------------------------------------------------------
PKI="$MK_ETC/pki"
mkdir -p "$MK_ETC"
write_env() { # name, lines...
  local file="$MK_ETC/$1.env"
  shift
  { echo "# Written by deploy/vm/install.sh; read by $(basename "$file" .env).service."; printf '%s\n' "$@"; } >"$file.tmp"
  mv "$file.tmp" "$file"
}
install -m 644 "$MK_PREFIX/deploy/vm/registry.yml" "$MK_ETC/registry.yml"
NODE_NAME="${NODE_NAME:-$(hostname | tr '[:upper:]' '[:lower:]')}"
if [ "$ROLE" = control-plane ]; then
  units=(mk-etcd mk-apiserver mk-scheduler mk-controller-manager mk-balancer)
  [ -n "$JOIN" ] || units+=(mk-registry)
  # etcd at this machine's address, for the members that join later (peers with TLS); a joined
  # machine's control-plane-join.sh replaces the initial cluster, its state and MK_ETCD_SERVERS.
  ETCD_HOST="$ADVERTISE_ADDRESS"
  [[ "$ETCD_HOST" != *:* ]] || ETCD_HOST="[$ETCD_HOST]"
  write_env mk-etcd "MK_PKI=$PKI" "MK_ETCD_NAME=$NODE_NAME" "MK_ETCD_LISTEN_CLIENT_URLS=https://127.0.0.1:12379,https://$ETCD_HOST:12379" \
    "MK_ETCD_CLIENT_URL=https://$ETCD_HOST:12379" "MK_ETCD_PEER_URL=https://$ETCD_HOST:12380" \
    "MK_ETCD_INITIAL_CLUSTER=$NODE_NAME=https://$ETCD_HOST:12380" "MK_ETCD_INITIAL_CLUSTER_STATE=new"
  write_env mk-apiserver "MK_PKI=$PKI" "MK_ETCD_SERVERS=https://127.0.0.1:12379" "MK_ADVERTISE_ADDRESS=$ADVERTISE_ADDRESS" "MK_DNS_ARGS=--dns-port $DNS_PORT --cluster-domain $CLUSTER_DOMAIN${DNS_UPSTREAM:+ --dns-upstream $DNS_UPSTREAM}"
  write_env mk-scheduler "MK_PKI=$PKI"
  write_env mk-controller-manager "MK_PKI=$PKI" "MK_NETWORK_ARGS=--cluster-cidr $CLUSTER_CIDR"
  write_env mk-registry "# docker-registry reads REGISTRY_* variables over /etc/mk/registry.yml, e.g. REGISTRY_HTTP_ADDR=:5000"
  # The balancer watches the kubernetes Service's endpoints as the controller manager (which reads them anyway).
  write_env mk-balancer "MK_BALANCER_CA=$PKI/ca.crt" "MK_BALANCER_CERT=$PKI/controller-manager.crt" "MK_BALANCER_KEY=$PKI/controller-manager.key"
  seed_apiservers "$MK_ETC/apiservers" "$(host_port "$ADVERTISE_ADDRESS" "$API_PORT")"
else
  units=(mk-kubelet mk-balancer)
  write_env mk-network "MK_NETWORK_ARGS=--cluster-cidr $CLUSTER_CIDR --cluster-dns $CLUSTER_DNS --cluster-domain $CLUSTER_DOMAIN"
  # ... and on a worker as the kubelet, whose certificate join obtains.
  write_env mk-balancer "MK_BALANCER_CA=$PKI/kubelet/ca.crt" "MK_BALANCER_CERT=$PKI/kubelet/kubelet.crt" "MK_BALANCER_KEY=$PKI/kubelet/kubelet.key"
  seed_apiservers "$MK_ETC/apiservers" "$SERVER"
fi
for u in "${units[@]}"; do install -m 644 "$MK_PREFIX/deploy/vm/systemd/$u.service" "$MK_UNIT_DIR/$u.service"; done
systemctl daemon-reload

# 7a. Control plane joining a running cluster: the CA copied in, its certificates, its etcd member --
if [ -n "$JOIN" ]; then
  MK_ETC="$MK_ETC" MK_BIN="$MK_BIN" NODE="$NODE" ADVERTISE_ADDRESS="$ADVERTISE_ADDRESS" SERVER="$SERVER" \
    CERTIFICATE_DIR="$CERTIFICATE_DIR" NODE_NAME="$NODE_NAME" exec bash "$MK_PREFIX/deploy/vm/control-plane-join.sh"
fi

# 7. Control plane: PKI, services, the join line ---------------------------------------------------
if [ "$ROLE" = control-plane ]; then
  # init keeps an existing CA and certificates (a new advertise address gets a new serving
  # certificate) and adds a fresh bootstrap token (24 h) on every run.
  step "mkctl cluster init --dir $MK_ETC --advertise-address $ADVERTISE_ADDRESS"
  join_line="$("$MK_BIN/mkctl" cluster init --dir "$MK_ETC" --advertise-address "$ADVERTISE_ADDRESS" --api-port "$API_PORT" --kubeconfig-server "$BALANCER")"
  read -r _ _ _ server _ token _ hash _ <<<"$join_line"
  for u in "${units[@]}"; do systemctl enable "$u.service" >/dev/null 2>&1; done
  systemctl restart "${units[@]/%/.service}"
  wait_http "http://127.0.0.1:6444/readyz" mk-apiserver
  wait_http "http://127.0.0.1:10251/healthz" mk-scheduler
  wait_http "http://127.0.0.1:10252/healthz" mk-controller-manager
  wait_http "http://127.0.0.1:6441/healthz" mk-balancer
  if [ -n "$JOIN_FILE" ]; then
    mkdir -p "$(dirname "$JOIN_FILE")"
    (umask 077 && printf 'MK_SERVER=%s\nMK_TOKEN=%s\nMK_CA_CERT_HASH=%s\n' "$server" "$token" "$hash" >"$JOIN_FILE")
    step "wrote the join parameters to $JOIN_FILE"
  fi
  step "control plane is up; try: mkctl --kubeconfig $MK_ETC/admin.conf get nodes -o wide"
  echo "On each worker:"
  echo "  install.sh worker --server $server --token $token --ca-cert-hash $hash --node-ip NODE_IP"
  exit 0
fi

# 8. Worker: join (once), then the kubelet with join's flags -----------------------------------------
KUBELET_DIR="$PKI/kubelet"
# (A worker joined before mk-balancer existed names the API server itself: it joins again.)
if [ -s "$KUBELET_DIR/kubelet.crt" ] && [ -s "$MK_ETC/mk-kubelet.env" ] && grep -q -- "--node-ip $NODE_IP " "$MK_ETC/mk-kubelet.env" &&
  grep -q -- "--server $BALANCER " "$MK_ETC/mk-kubelet.env"; then
  step "already joined as $NODE_NAME ($KUBELET_DIR/kubelet.crt); not joining again"
else
  step "mkctl cluster join $SERVER --node-ip $NODE_IP --node-name $NODE_NAME --no-start"
  "$MK_BIN/mkctl" cluster join "$SERVER" --token "$TOKEN" --ca-cert-hash "$CA_CERT_HASH" --node-ip "$NODE_IP" \
    --node-name "$NODE_NAME" --dir "$KUBELET_DIR" --registry "$REGISTRY" --no-start --kubelet-env-file "$MK_ETC/mk-kubelet.env" \
    --kubelet-server "$BALANCER" >/dev/null
fi
# The balancer first (it needs join's certificate): the kubelet talks to the API through it.
for u in mk-balancer mk-kubelet; do systemctl enable "$u.service" >/dev/null 2>&1; done
systemctl restart mk-balancer.service
wait_http "http://127.0.0.1:6441/healthz" mk-balancer
systemctl restart mk-kubelet.service
wait_http "http://$NODE_IP:10248/healthz" mk-kubelet
step "node $NODE_NAME ($NODE_IP) is up; on the control plane: mkctl --kubeconfig $MK_ETC/admin.conf get nodes -o wide"
