// The DNS server's pure parts: the default upstreams (the host's real resolvers, never
// systemd-resolved's stub), upstream parsing, and truncation to a UDP size.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostUpstreams } from "@mk/apiserver/dns/dns.js";
import { parseUpstream } from "@mk/apiserver/dns/forward.js";
import { encodeAnswer } from "@mk/apiserver/dns/server.js";
import * as packet from "dns-packet";

test("default upstreams: /etc/resolv.conf's servers, or systemd-resolved's real list when it names 127.0.0.53", () => {
  const files: Record<string, string> = {
    "/etc/resolv.conf": "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n",
    "/run/systemd/resolve/resolv.conf": "# upstream\nnameserver 192.0.2.1\nnameserver 192.0.2.2\nnameserver fe80::1\n",
  };
  assert.deepEqual(
    hostUpstreams((p) => files[p] ?? ""),
    ["192.0.2.1", "192.0.2.2"],
  );
  assert.deepEqual(
    hostUpstreams(() => "nameserver 10.0.0.2\nnameserver 127.0.0.53\n"),
    ["10.0.0.2"],
  );
});

test("an upstream is IP or IP:PORT; anything else is named in the error", () => {
  assert.deepEqual(parseUpstream("192.0.2.1"), { host: "192.0.2.1", port: 53 });
  assert.deepEqual(parseUpstream("127.0.0.1:5353"), { host: "127.0.0.1", port: 5353 });
  assert.throws(() => parseUpstream("dns.example"), /invalid DNS upstream "dns\.example"/);
  assert.throws(() => parseUpstream("127.0.0.1:99999"), /invalid DNS upstream/);
});

test("an answer over the limit keeps the records that fit and sets TC; one within it is whole", () => {
  const query = packet.decode(packet.encode({ type: "query", id: 7, questions: [{ type: "A", name: "big.default.svc.cluster.local" }] }));
  const answers: packet.Answer[] = Array.from({ length: 60 }, (_, i) => ({ type: "A", name: "big.default.svc.cluster.local", ttl: 5, data: `10.0.0.${i + 1}` }));
  const raw = encodeAnswer(query, 7, true, { rcode: "NOERROR", answers, authorities: [], additionals: [] }, false, 512);
  const cut = packet.decode(raw);
  assert.ok(raw.length <= 512, `${raw.length} bytes`);
  // The records that fit: one more would not have.
  const kept = cut.answers?.length ?? 0;
  assert.ok(packet.encodingLength({ ...cut, answers: answers.slice(0, kept + 1) }) > 512);
  assert.equal(cut.flag_tc, true);
  // dns-packet writes every name in full (no compression): about 45 bytes an A record here.
  assert.ok((cut.answers?.length ?? 0) >= 5 && (cut.answers?.length ?? 0) < 60, `${cut.answers?.length} records`);
  const whole = packet.decode(encodeAnswer(query, 7, true, { rcode: "NOERROR", answers: answers.slice(0, 3), authorities: [], additionals: [] }, false, 512));
  assert.equal(whole.flag_tc, false);
  assert.equal(whole.answers?.length, 3);
  assert.equal(whole.flag_aa, true);
});
