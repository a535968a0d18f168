// Node IPAM against the real API server, with two controller managers' IPAM controllers racing
// (each with its own client and caches, no leader election between them): every Node gets a
// podCIDR of --cluster-cidr, no range twice; once the ranges run out a Node waits (and gets a
// CIDRNotAvailable event); deleting a Node releases its range, which the waiting Node then gets.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { NodeIpamController } from "@mk/controller/nodeipam/controller.js";
import { CLAIM_NAMESPACE } from "@mk/controller/nodeipam/claims.js";
import { silentLogger } from "@mk/controller/log.js";
import { emptyMeta, ipInCidr, Node } from "@mk/proto";
import { type Clientset, connect, EventRecorder } from "@mk/proto/client";
import { InformerFactory } from "@mk/proto/informer";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { waitFor } from "./env.js";

// A /26 cut into /29s: exactly 8 node ranges.
const CLUSTER_CIDR = "10.77.0.0/26";
const MASK = 29;

let server: TestApiServer;
let client: Clientset;
const abort = new AbortController();
const runs: Promise<void>[] = [];
const factories: InformerFactory[] = [];
const clients: Clientset[] = [];

function startManager(id: string): void {
  const cs = connect({ server: server.address });
  clients.push(cs);
  const factory = new InformerFactory(cs, { logger: silentLogger });
  factories.push(factory);
  const c = new NodeIpamController({
    client: cs,
    nodeInformer: factory.informerFor("Node"),
    leaseInformer: factory.informerFor("Lease", { namespace: CLAIM_NAMESPACE }),
    clusterCidr: CLUSTER_CIDR,
    nodeCidrMaskSize: MASK,
    recorder: new EventRecorder(cs, { component: "mk-controller-manager", host: id }),
    logger: silentLogger,
  });
  runs.push(c.run(2, abort.signal));
  factory.start(abort.signal);
}

const node = (name: string) => Node.fromPartial({ apiVersion: "v1", kind: "Node", metadata: emptyMeta({ name }) });
const podCidrs = async () => new Map((await client.nodes.list()).items.map((n) => [n.metadata?.name ?? "", n.spec?.podCidr ?? ""]));

before(async () => {
  server = await startTestApiServer();
  client = connect({ server: server.address });
  startManager("a");
  startManager("b");
});

after(async () => {
  abort.abort();
  await Promise.allSettled(runs);
  for (const f of factories) await f.stop();
  for (const c of clients) c.close();
  client?.close();
  await server?.stop();
});

test("two racing IPAM controllers give 8 nodes 8 distinct podCIDRs; the 9th waits until one is deleted", async () => {
  const names = Array.from({ length: 8 }, (_, i) => `ipam-${i}`);
  await Promise.all(names.map((n) => client.nodes.create(node(n))));
  const got = await waitFor(
    "every node has a podCIDR",
    async () => {
      const m = await podCidrs();
      return names.every((n) => m.get(n)) ? m : undefined;
    },
    30_000,
  );
  const ranges = names.map((n) => got.get(n) ?? "");
  assert.equal(new Set(ranges).size, 8, `distinct: ${ranges.join(", ")}`);
  for (const r of ranges) {
    assert.match(r, /\/29$/);
    assert.ok(ipInCidr(r.split("/")[0] ?? "", CLUSTER_CIDR), `${r} inside ${CLUSTER_CIDR}`);
  }
  for (const n of (await client.nodes.list()).items) assert.deepEqual(n.spec?.podCidrs, [n.spec?.podCidr], `${n.metadata?.name}: podCIDRs = [podCIDR]`);

  // Every range is taken: the 9th node gets none, and an event says why.
  await client.nodes.create(node("ipam-late"));
  await waitFor(
    "a CIDRNotAvailable event for ipam-late",
    async () => (await client.events.list({ namespace: "default" })).items.some((e) => e.reason === "CIDRNotAvailable" && e.involvedObject?.name === "ipam-late"),
    30_000,
  );
  assert.equal((await client.nodes.get("ipam-late")).spec?.podCidr, "");

  // Deleting a node releases its range; the waiting node gets exactly that one.
  const freed = got.get("ipam-3") ?? "";
  await client.nodes.delete("ipam-3");
  const late = await waitFor("ipam-late gets a podCIDR", async () => (await client.nodes.get("ipam-late")).spec?.podCidr || undefined, 60_000);
  assert.equal(late, freed);
  const after = await podCidrs();
  assert.equal(new Set(after.values()).size, after.size, `still distinct: ${[...after.values()].join(", ")}`);
});
