#!/usr/bin/env bash
# `install.sh control-plane --join`, once mk is built and the units and env files are installed: makes
# this machine one more control-plane member of a running cluster, as kubeadm's `join
# --control-plane` does on a machine that was given the CA by hand (its manual certificate
# distribution):
#   1. the CA and the bootstrap tokens, copied by the operator from the first control plane's
#      /etc/mk/pki to CERTIFICATE_DIR, go to MK_ETC/pki
#   2. `mkctl cluster init` issues this machine's certificates from that CA in-process (the advertise
#      address in the API server's and etcd's SANs), as on the first machine
#   3. `mkctl cluster etcd-member add` adds this machine's etcd member as a learner through the
#      cluster's etcd at SERVER's host, port 12379; mk-etcd starts with --initial-cluster-state
#      existing and the member list etcd answered; `etcd-member promote` makes it a voter once it
#      has caught up
#   4. mk-apiserver (talking to every member), mk-scheduler and mk-controller-manager start; the
#      scheduler and controller manager stand by until they win their leases; mk-balancer
#      (127.0.0.1:6440, which admin.conf names) starts from SERVER and this machine's API server in
#      MK_ETC/apiservers, then keeps the list to the kubernetes Service's endpoints, where every API
#      server (this one too, as it starts) publishes itself; the other machines' balancers learn of
#      this one there
# Safe to run again: a member listed already is kept, not added twice.
# Environment (install.sh sets it): MK_ETC, MK_BIN, NODE, ADVERTISE_ADDRESS, SERVER, CERTIFICATE_DIR, NODE_NAME.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PKI="$MK_ETC/pki"
ETCD_HOST="$ADVERTISE_ADDRESS"
[[ "$ETCD_HOST" != *:* ]] || ETCD_HOST="[$ETCD_HOST]"
PEER_URL="https://$ETCD_HOST:12380"
CLIENT_URL="https://$ETCD_HOST:12379"
ENDPOINT="${SERVER%:*}:12379"

# 1. The cluster's CA and tokens.
mkdir -p "$PKI"
chmod 700 "$PKI"
for f in ca.crt ca.key bootstrap-tokens; do
  if [ -e "$PKI/$f" ] && [ "$f" != bootstrap-tokens ] && ! cmp -s "$CERTIFICATE_DIR/$f" "$PKI/$f"; then
    die "$PKI/$f is another CA's (this machine was set up before): move $PKI away to join this cluster"
  fi
  [ "$(cd "$CERTIFICATE_DIR" && pwd -P)" = "$(cd "$PKI" && pwd -P)" ] || install -m 600 "$CERTIFICATE_DIR/$f" "$PKI/$f"
done

# 2. This machine's certificates from it. init also adds a bootstrap token; a 1 s one is of no use
# to anyone (the workers' tokens are the first control plane's, in the copied file).
step "issuing this machine's certificates from the cluster CA (mkctl cluster init --dir $MK_ETC)"
"$MK_BIN/mkctl" cluster init --dir "$MK_ETC" --advertise-address "$ADVERTISE_ADDRESS" --token-ttl 1s --kubeconfig-server 127.0.0.1:6440 >/dev/null

# 3. etcd: a learner, started with the cluster's member list, then a voter.
step "adding etcd member $NODE_NAME ($PEER_URL) as a learner through $ENDPOINT"
added="$("$MK_BIN/mkctl" cluster etcd-member add --endpoint "$ENDPOINT" --pki-dir "$PKI" --name "$NODE_NAME" --peer-url "$PEER_URL" --client-url "$CLIENT_URL")"
initial="$(sed -n 's/^MK_ETCD_INITIAL_CLUSTER=//p' <<<"$added")"
servers="$(sed -n 's/^MK_ETCD_SERVERS=//p' <<<"$added")"
[ -n "$initial" ] && [ -n "$servers" ] || die "mkctl cluster etcd-member add answered without the member list: $added"
set_env() { # unit, key, value: replaces the key's line in MK_ETC/unit.env
  local file="$MK_ETC/$1.env"
  grep -v "^$2=" "$file" >"$file.tmp" || true
  echo "$2=$3" >>"$file.tmp"
  mv "$file.tmp" "$file"
}
set_env mk-etcd MK_ETCD_INITIAL_CLUSTER "$initial"
set_env mk-etcd MK_ETCD_INITIAL_CLUSTER_STATE existing
set_env mk-apiserver MK_ETCD_SERVERS "$servers"
systemctl enable mk-etcd.service >/dev/null 2>&1
systemctl restart mk-etcd.service
step "promoting etcd member $NODE_NAME once it has caught up"
"$MK_BIN/mkctl" cluster etcd-member promote --endpoint "$ENDPOINT" --pki-dir "$PKI" --peer-url "$PEER_URL"

# 4. The API server on every member, the scheduler and controller manager as standbys.
seed_apiservers "$MK_ETC/apiservers" "$SERVER" "$(host_port "$ADVERTISE_ADDRESS" 6443)"
units=(mk-apiserver mk-scheduler mk-controller-manager mk-balancer)
for u in "${units[@]}"; do systemctl enable "$u.service" >/dev/null 2>&1; done
systemctl restart "${units[@]/%/.service}"
wait_http "http://127.0.0.1:6444/readyz" mk-apiserver
wait_http "http://127.0.0.1:10251/healthz" mk-scheduler
wait_http "http://127.0.0.1:10252/healthz" mk-controller-manager
wait_http "http://127.0.0.1:6441/healthz" mk-balancer
step "control-plane member $NODE_NAME is up (etcd $CLIENT_URL, API $ADVERTISE_ADDRESS:6443); try: mkctl --kubeconfig $MK_ETC/admin.conf get nodes (through mk-balancer, 127.0.0.1:6440)"
