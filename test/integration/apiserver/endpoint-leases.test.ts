// kube-apiserver's lease endpoint reconciler: two API servers on one etcd, A in-process at 127.0.0.1
// and B a real mk-apiserver process at 127.0.0.2, both with a 3 s endpoint lease. Both are in the
// kubernetes and kube-dns Endpoints and EndpointSlices; B SIGKILLed (no cleanup at all) leaves all
// four within its TTL and a renewal, and the kubernetes port becomes A's; B started again comes
// back, and B stopped cleanly (SIGTERM) is already gone when its process has exited.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { freePort } from "../../harness/etcd.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";

const MAIN = fileURLToPath(new URL("../../../../apiserver/dist/main.js", import.meta.url));
const TTL = 3;
const A_IP = "127.0.0.1";
const B_IP = "127.0.0.2";
const LOG = process.env.MK_TEST_LOG_LEVEL ?? "error";

let api: TestApiServer;
let cs: Clientset;
let dnsPort: number;
const procs = new Set<ChildProcess>();

/** The addresses of one Service's Endpoints and EndpointSlice, and their ports, as "ip,ip|port,port". */
async function seen(namespace: string, name: string): Promise<{ endpoints: string; slice: string }> {
  const ep = await cs.endpoints.get(name, namespace);
  const slice = await cs.endpointSlices.get(name, namespace);
  const subset = ep.subsets[0];
  return {
    endpoints: `${(subset?.addresses ?? []).map((a) => a.ip).sort().join(",")}|${(subset?.ports ?? []).map((p) => p.port).join(",")}`,
    slice: `${slice.endpoints.flatMap((e) => e.addresses).sort().join(",")}|${slice.ports.map((p) => p.port).join(",")}`,
  };
}

/** True when both Services list exactly `ips` in both objects (and, given, kubernetes's port). */
async function listed(ips: string[], why: (r: string) => undefined, apiPort?: number): Promise<true | undefined> {
  const k = await seen("default", "kubernetes");
  const d = await seen(KUBE_DNS_NAMESPACE, KUBE_DNS_SERVICE);
  const want = ips.join(",");
  const ok = [k.endpoints, k.slice].every((s) => s.startsWith(`${want}|`) && (apiPort === undefined || s === `${want}|${apiPort}`)) && [d.endpoints, d.slice].every((s) => s === `${want}|${dnsPort},${dnsPort}`);
  return ok ? true : why(`kubernetes ${JSON.stringify(k)}, kube-dns ${JSON.stringify(d)}`);
}

function startB(): ChildProcess {
  const p = spawn(
    process.execPath,
    [
      MAIN,
      "--etcd-servers", api.etcd.endpoint,
      "--listen", `${B_IP}:0`,
      "--advertise-address", B_IP,
      "--http-listen", "",
      "--dns-port", String(dnsPort),
      // Nothing is asked outside the cluster zone here; a loopback port nobody answers on.
      "--dns-upstream", "127.0.0.1:9",
      "--endpoint-lease-ttl", `${TTL}s`,
      "--log-level", LOG,
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  procs.add(p);
  p.once("exit", () => procs.delete(p));
  return p;
}

async function stopB(p: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill(signal);
  await exited;
}

before(async () => {
  // One DNS port for both servers (kube-dns's slice carries one port list), each on its own address.
  dnsPort = await freePort(A_IP);
  api = await startTestApiServer({ endpointLeaseTtlSeconds: TTL, dns: { port: dnsPort, upstreams: ["127.0.0.1:9"], clusterDomain: "cluster.local" } });
  cs = connect({ server: api.address });
});

after(async () => {
  for (const p of [...procs]) await stopB(p, "SIGKILL");
  cs?.close();
  await api?.stop();
});

test("a killed API server leaves the kubernetes and kube-dns endpoints within its lease; a clean stop at once", async (t) => {
  await eventually("A alone listed", (why) => listed([A_IP], why, api.server.port), 30_000);

  const b = startB();
  await eventually("A and B listed", (why) => listed([A_IP, B_IP], why), 60_000, { everyMs: 250 });

  // No cleanup at all: B's lease expires in etcd (3 s) and A's next renewal (every 1 s) takes it out.
  const killedAt = Date.now();
  await stopB(b, "SIGKILL");
  // Meanwhile A stays: its own renewals keep it listed and never flap it out.
  await eventually("B gone after its SIGKILL, A still listed with its own API port", (why) => listed([A_IP], why, api.server.port), 30_000, { everyMs: 250 });
  const gone = Date.now() - killedAt;
  assert.ok(gone >= 1000, `B left after ${gone} ms: before its lease could have expired`);
  t.diagnostic(`B left all four objects ${gone} ms after its SIGKILL (lease TTL ${TTL} s, renewals every ${TTL / 3} s)`);

  const again = startB();
  await eventually("B listed again", (why) => listed([A_IP, B_IP], why), 60_000, { everyMs: 250 });
  // A clean stop: B deletes its lease and takes itself out before its process ends.
  await stopB(again, "SIGTERM");
  assert.equal(again.exitCode, 0);
  // Its port, listed since it started last, went with it: A's is back.
  assert.equal(await listed([A_IP], (r) => assert.fail(`B still listed right after its clean stop: ${r}`), api.server.port), true);
});
