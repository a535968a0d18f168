// The lease endpoint reconciler's set logic on its own: which addresses and ports the kubernetes and
// kube-dns endpoints get from the live API servers' records.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type LeaseRecord, liveAddresses, parseLeaseRecord, reconcileAddresses, reconcilePorts } from "@mk/apiserver/registry/endpoint-leases.js";

const K = "default/kubernetes";
const D = "kube-system/kube-dns";
const https = (port: number) => [{ name: "https", port, protocol: "TCP" }];
const dns = (port: number) => [
  { name: "dns", port, protocol: "UDP" },
  { name: "dns-tcp", port, protocol: "TCP" },
];

test("liveAddresses: the addresses of the records serving the Service, sorted, each once", () => {
  const records: LeaseRecord[] = [
    { ip: "10.0.0.3", ports: { [K]: https(6443), [D]: dns(53) } },
    { ip: "10.0.0.1", ports: { [K]: https(6443) } },
    { ip: "10.0.0.1", ports: { [K]: https(6444) } },
  ];
  assert.deepEqual(liveAddresses(records, K), ["10.0.0.1", "10.0.0.3"]);
  assert.deepEqual(liveAddresses(records, D), ["10.0.0.3"]);
  assert.deepEqual(liveAddresses([], K), []);
});

test("reconcileAddresses: drops the dead, keeps the order of the live, appends the new sorted", () => {
  assert.deepEqual(reconcileAddresses(["b", "a", "c"], ["a", "b", "c"]), ["b", "a", "c"]);
  assert.deepEqual(reconcileAddresses(["b", "dead", "a"], ["a", "b"]), ["b", "a"]);
  assert.deepEqual(reconcileAddresses(["c"], ["a", "b", "c"]), ["c", "a", "b"]);
  assert.deepEqual(reconcileAddresses(["a", "a"], ["a"]), ["a"]);
  assert.deepEqual(reconcileAddresses(["a"], []), []);
});

test("reconcilePorts: the current ports while a live record serves them, else this server's", () => {
  const records: LeaseRecord[] = [
    { ip: "127.0.0.1", ports: { [K]: https(6443) } },
    { ip: "127.0.0.1", ports: { [K]: https(7443), [D]: dns(1053) } },
  ];
  const current = https(7443);
  assert.equal(reconcilePorts(current, records, K, https(6443)), current);
  // The server whose port is listed died: the survivor's.
  assert.deepEqual(reconcilePorts(https(8443), records, K, https(6443)), https(6443));
  // This server does not serve it: the first live record's; nobody does: unchanged.
  assert.deepEqual(reconcilePorts(dns(99), records, D, undefined), dns(1053));
  assert.deepEqual(reconcilePorts(dns(99), [], D, undefined), dns(99));
  // Order of the ports does not count as a change.
  const reversed = [...dns(1053)].reverse();
  assert.equal(reconcilePorts(reversed, records, D, undefined), reversed);
});

test("parseLeaseRecord: a record, or undefined for anything else", () => {
  assert.deepEqual(parseLeaseRecord(Buffer.from(JSON.stringify({ ip: "10.0.0.1", ports: { [K]: https(6443) } }))), { ip: "10.0.0.1", ports: { [K]: https(6443) } });
  assert.equal(parseLeaseRecord(Buffer.from("not json")), undefined);
  assert.equal(parseLeaseRecord(Buffer.from(JSON.stringify({ ip: "", ports: {} }))), undefined);
  assert.equal(parseLeaseRecord(Buffer.from("null")), undefined);
});
