// The node lifecycle controller's loop on a ManualClock, against an in-memory API behind real
// informers: exact grace-period and toleration timing, full disruption, the eviction rate, Ready=False,
// and recovery. (Against a real API server and etcd: test/integration/nodelifecycle/.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { emptyMeta, type Lease, type Node, type ObjectMeta, type Pod, PodSpec, PodStatus, type Toleration } from "@mk/proto";
import { type Clientset, ConflictError, NotFoundError, type TypedWatchEvent } from "@mk/proto/client";
import { Informer, type ListerWatcher, ManualClock } from "@mk/proto/informer";
import { NodeLifecycleController } from "@mk/controller/nodelifecycle/controller.js";
import { pino } from "pino";

type Obj = { metadata?: ObjectMeta | undefined };

/** One kind's objects, with a list+watch for an informer and resourceVersion conflicts on writes. */
class Table<T extends Obj> {
  readonly items = new Map<string, T>();
  private rv = 1;
  private readonly subs = new Set<(ev: TypedWatchEvent<T>) => void>();
  readonly lw: ListerWatcher<T> = {
    list: async () => ({ items: [...this.items.values()].map((o) => structuredClone(o)), resourceVersion: String(this.rv) }),
    watch: (_rv, signal) => this.stream(signal),
  };

  private async *stream(signal: AbortSignal): AsyncGenerator<TypedWatchEvent<T>> {
    const queue: TypedWatchEvent<T>[] = [];
    let wake: (() => void) | undefined;
    const sub = (ev: TypedWatchEvent<T>) => {
      queue.push(ev);
      wake?.();
    };
    this.subs.add(sub);
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        const ev = queue.shift();
        if (ev) yield ev;
        else await new Promise<void>((r) => (wake = r));
      }
    } finally {
      this.subs.delete(sub);
      signal.removeEventListener("abort", onAbort);
    }
  }

  key(o: Obj): string {
    return o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? "");
  }

  get(key: string): T {
    const o = this.items.get(key);
    if (!o) throw new NotFoundError(`${key} not found`);
    return structuredClone(o);
  }

  /** Stores a copy; with check, fails on a stale resourceVersion as the API server does. */
  put(o: T, check = false): T {
    const k = this.key(o);
    const old = this.items.get(k);
    if (check && old && old.metadata?.resourceVersion !== o.metadata?.resourceVersion) throw new ConflictError(`${k}: stale resourceVersion`);
    const next = structuredClone(o);
    if (next.metadata) next.metadata.resourceVersion = String(++this.rv);
    this.items.set(k, next);
    for (const s of this.subs) s({ type: old ? "MODIFIED" : "ADDED", object: structuredClone(next) });
    return structuredClone(next);
  }
}

const T0 = "2026-01-01T00:00:00Z";

function node(name: string, ready = "True"): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: emptyMeta({ name }),
    spec: { unschedulable: false, taints: [], podCidr: "", podCidrs: [], providerId: "" },
    status: {
      capacity: {},
      allocatable: {},
      addresses: [],
      conditions: [{ type: "Ready", status: ready, reason: "KubeletReady", message: "kubelet is posting ready status", lastHeartbeatTime: T0, lastTransitionTime: T0 }],
      nodeInfo: undefined,
      daemonEndpoints: undefined,
    },
  };
}

function pod(name: string, nodeName: string, tolerations: Toleration[] = []): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, namespace: "default", uid: `uid-${name}` }),
    spec: PodSpec.fromPartial({ nodeName, tolerations, containers: [{ name: "web", image: "mk/web:v1" }] }),
    status: PodStatus.fromPartial({ phase: "Running", conditions: [{ type: "Ready", status: "True", lastProbeTime: "", lastTransitionTime: T0, reason: "", message: "" }] }),
  };
}

class Lab {
  readonly clock = new ManualClock(0);
  readonly nodes = new Table<Node>();
  readonly leases = new Table<Lease>();
  readonly pods = new Table<Pod>();
  readonly events: string[] = [];
  readonly deleted: string[] = [];
  /** Nodes whose "kubelet" renews its Lease every 2 s. */
  readonly alive = new Set<string>();
  private renewSeq = 0;
  private readonly abort = new AbortController();
  private readonly informers: Informer<Obj>[] = [];
  controller!: NodeLifecycleController;
  private running!: Promise<void>;

  async start(names: string[], podsPerNode: (n: string) => Pod[], opts: { toleration?: number } = {}): Promise<void> {
    for (const n of names) {
      this.nodes.put(node(n));
      this.alive.add(n);
      this.renew(n);
      for (const p of podsPerNode(n)) this.pods.put(p);
    }
    const fake = {
      nodes: {
        get: async (name: string) => this.nodes.get(name),
        update: async (n: Node) => this.nodes.put(n, true),
        updateStatus: async (n: Node) => this.nodes.put(n, true),
      },
      pods: {
        updateStatus: async (p: Pod) => this.pods.put(p, true),
        delete: async (name: string, ns: string) => {
          const p = this.pods.get(`${ns}/${name}`);
          if (p.metadata) p.metadata.deletionTimestamp = "2026-01-01T01:00:00Z";
          this.deleted.push(name);
          this.pods.put(p);
          return { object: p, pending: true };
        },
      },
    } as unknown as Clientset;
    const inf = <T extends Obj>(t: Table<T>, name: string) => {
      const i = new Informer<T>(t.lw, { name, clock: this.clock });
      this.informers.push(i as unknown as Informer<Obj>);
      return i;
    };
    const recorder = {
      event: (_kind: string, s: { metadata?: ObjectMeta | undefined }, _type: string, reason: string, message: string) => this.events.push(`${reason} ${s.metadata?.name}: ${message}`),
    };
    this.controller = new NodeLifecycleController({
      client: fake,
      nodeInformer: inf(this.nodes, "Node"),
      leaseInformer: inf(this.leases, "Lease"),
      podInformer: inf(this.pods, "Pod"),
      recorder: recorder as never,
      logger: pino({ level: process.env.MK_TEST_LOG_LEVEL ?? "silent" }),
      clock: this.clock,
      now: () => new Date(Date.parse(T0) + this.clock.now()),
      nodeMonitorGracePeriodMs: 10_000,
      nodeMonitorPeriodMs: 5_000,
      defaultUnreachableTolerationSeconds: opts.toleration ?? 10,
    });
    for (const i of this.informers) i.start(this.abort.signal);
    this.running = this.controller.run(2, this.abort.signal);
    await this.settle();
  }

  renew(n: string): void {
    const renewTime = `2026-01-01T00:00:${String(++this.renewSeq % 60).padStart(2, "0")}.000000Z`;
    this.leases.put({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: emptyMeta({ name: n, namespace: "mk-node-lease" }), spec: { holderIdentity: n, acquireTime: T0, renewTime } });
  }

  /** Lets informers deliver and workers finish what they can without time passing. */
  async settle(): Promise<void> {
    for (let i = 0; i < 30; i++) await new Promise((r) => setImmediate(r));
  }

  /** Advances time in 500 ms steps; live kubelets renew every 2 s. */
  async tick(ms: number): Promise<void> {
    for (let t = 0; t < ms; t += 500) {
      const step = Math.min(500, ms - t);
      const before = this.clock.now();
      this.clock.advance(step);
      if (Math.floor(this.clock.now() / 2000) > Math.floor(before / 2000)) for (const n of this.alive) this.renew(n);
      await this.settle();
    }
  }

  ready(n: string): string | undefined {
    return this.nodes.items.get(n)?.status?.conditions.find((c) => c.type === "Ready")?.status;
  }

  taints(n: string): string[] {
    return (this.nodes.items.get(n)?.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
  }

  /** The kubelet posts Ready status (alive again, or reporting a problem). */
  postReady(n: string, status: string): void {
    const cur = this.nodes.get(n);
    if (cur.status) cur.status.conditions = node(n, status).status?.conditions ?? [];
    this.nodes.put(cur);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

const UNREACHABLE = "node.kubernetes.io/unreachable:NoExecute";
const tolerate = (seconds?: number): Toleration => ({ key: "node.kubernetes.io/unreachable", operator: "Exists", value: "", effect: "NoExecute", tolerationSeconds: seconds });

test("silent node: Unknown + taint just after the grace period, pods deleted after their tolerations, others untouched", async () => {
  const lab = new Lab();
  await lab.start(["n1", "n2", "n3"], (n) => [pod(`${n}-a`, n), ...(n === "n1" ? [pod("n1-thirty", n, [tolerate(30)]), pod("n1-forever", n, [tolerate()])] : [])]);
  await lab.tick(4_000);
  // n1's kubelet dies at t = 4.0 s, right after its renewal at 4.0 s: stale after 4 + 10 = 14 s.
  lab.alive.delete("n1");
  await lab.tick(10_000);
  assert.equal(lab.ready("n1"), "True", "t = 14.0 s: silent exactly 10 s, not more");
  await lab.tick(500);
  assert.equal(lab.ready("n1"), "Unknown", "t = 14.5 s");
  assert.deepEqual(lab.taints("n1"), [UNREACHABLE]);
  assert.ok(lab.events.includes("NodeNotReady n1: Node n1 status is now: NodeNotReady"));
  assert.ok(lab.events.includes("NodeNotReady n1-a: Node is not ready"));
  assert.equal(lab.pods.items.get("default/n1-a")?.status?.conditions.find((c) => c.type === "Ready")?.status, "False", "pods marked not ready");
  // The grace timer fires at 4 + 10 + 0.001 s, but this test's clock moves in 500 ms steps, so the
  // sync (and the taint's first sight) happens at 14.5 s: the default 10 s runs out at 24.5 s.
  await lab.tick(9_500);
  assert.deepEqual(lab.deleted, [], "t = 24.0 s");
  await lab.tick(1_000);
  assert.deepEqual(lab.deleted, ["n1-a"], "t = 25.0 s");
  assert.ok(lab.events.includes("TaintManagerEviction n1-a: Marking for deletion Pod default/n1-a"));
  // Its own 30 s: 44.5 s.
  await lab.tick(19_000);
  assert.deepEqual(lab.deleted, ["n1-a"], "t = 44.0 s");
  await lab.tick(1_000);
  assert.deepEqual(lab.deleted, ["n1-a", "n1-thirty"], "t = 45.0 s");
  await lab.tick(60_000);
  assert.deepEqual(lab.deleted, ["n1-a", "n1-thirty"], "tolerates forever; other nodes untouched");
  for (const n of ["n2", "n3"]) {
    assert.equal(lab.ready(n), "True");
    assert.deepEqual(lab.taints(n), []);
  }

  // Back: the Lease alone is not enough (Ready still Unknown) ...
  lab.alive.add("n1");
  await lab.tick(6_000);
  assert.deepEqual(lab.taints("n1"), [UNREACHABLE]);
  // ... Ready=True posted too: the taint goes at once.
  lab.postReady("n1", "True");
  await lab.settle();
  assert.deepEqual(lab.taints("n1"), []);
  await lab.stop();
});

test("full disruption: every node silent → tainted, nothing evicted; one back → the others' tolerations start over", async () => {
  const lab = new Lab();
  await lab.start(["n1", "n2", "n3"], (n) => [pod(`${n}-a`, n)]);
  await lab.tick(2_000);
  lab.alive.clear();
  await lab.tick(11_000);
  for (const n of ["n1", "n2", "n3"]) assert.deepEqual(lab.taints(n), [UNREACHABLE], n);
  await lab.tick(60_000);
  assert.deepEqual(lab.deleted, [], "a minute past the toleration: nothing evicted");
  // n2 comes back at t = 73 s; the monitor pass at 75 s ends the disruption. Without the restart
  // of the countdown n1's and n3's pods (due since 23 s) would go at once; with it they are due at
  // 75 + 10 = 85 s, one node then and the other 10 s later (0.1 node/s).
  lab.alive.add("n2");
  lab.renew("n2");
  lab.postReady("n2", "True");
  await lab.tick(5_000);
  assert.deepEqual(lab.taints("n2"), []);
  assert.deepEqual(lab.deleted, [], "t = 78 s");
  await lab.tick(6_500);
  assert.deepEqual(lab.deleted, [], "t = 84.5 s");
  await lab.tick(1_000);
  assert.equal(lab.deleted.length, 1, "t = 85.5 s: one node's pods");
  await lab.tick(10_000);
  assert.deepEqual(lab.deleted.sort(), ["n1-a", "n3-a"]);
  await lab.stop();
});

test("eviction rate: with two of five nodes down, the second node's pods go 10 s after the first's (0.1 node/s)", async () => {
  const lab = new Lab();
  await lab.start(["n1", "n2", "n3", "n4", "n5"], (n) => [pod(`${n}-a`, n)]);
  await lab.tick(2_000);
  lab.alive.delete("n1");
  lab.alive.delete("n2");
  // Both stale at ≈ 12 s, both pods due at ≈ 22 s: one node admitted then, the other 10 s later.
  await lab.tick(21_000);
  assert.equal(lab.deleted.length, 1, "t = 23 s: one node's pods");
  await lab.tick(8_000);
  assert.equal(lab.deleted.length, 1, "t = 31 s");
  await lab.tick(2_500);
  assert.deepEqual(lab.deleted.sort(), ["n1-a", "n2-a"], "t = 33.5 s");
  await lab.stop();
});

test("a live kubelet posting Ready=False: not-ready taint (default toleration 300 s), removed when Ready again", async () => {
  const lab = new Lab();
  await lab.start(["n1", "n2"], (n) => [pod(`${n}-a`, n)]);
  lab.postReady("n1", "False");
  await lab.settle();
  assert.deepEqual(lab.taints("n1"), ["node.kubernetes.io/not-ready:NoExecute"]);
  assert.equal(lab.pods.items.get("default/n1-a")?.status?.conditions.find((c) => c.type === "Ready")?.status, "True", "its kubelet reports its pods");
  await lab.tick(30_000);
  assert.deepEqual(lab.deleted, [], "300 s default for not-ready");
  lab.postReady("n1", "True");
  await lab.settle();
  assert.deepEqual(lab.taints("n1"), []);
  await lab.stop();
});
