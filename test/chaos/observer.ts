// Wires the checkers to a live cluster: informers on Deployments, ReplicaSets and Pods (in the
// default namespace) put back into etcd's order (merge.ts) feed the surge and lost-object checkers;
// Docker's event stream for the cluster feeds the engine checker.
import type { Clientset } from "@mk/proto/client";
import { type DeepReadonly, type Informer, newInformer } from "@mk/proto/informer";
import { followEngineEvents, clusterThings } from "./docker-view.js";
import { EngineChecker } from "./engines.js";
import { type ApiEvent, revisionOf, type Violation } from "./events.js";
import { LostChecker } from "./lost.js";
import { OrderedMerge } from "./merge.js";
import { SurgeChecker } from "./surge.js";

const KINDS = ["Deployment", "ReplicaSet", "Pod"] as const;
type Kind = (typeof KINDS)[number];

export interface Counters {
  /** Surge bound evaluations (one per Deployment per API event). */
  surgeChecks: number;
  /** Container starts checked against the running ones. */
  engineStarts: number;
  /** Watch events and final reads compared with the last write. */
  lostChecks: number;
  /** API events delivered out of etcd's order (after a relist). */
  late: number;
}

export class Observer {
  readonly surge = new SurgeChecker();
  readonly engines = new EngineChecker();
  readonly lost = new LostChecker();
  private readonly merge = new OrderedMerge<ApiEvent>(KINDS, (e) => {
    this.surge.feed(e);
    this.lost.feed(e);
  });
  private readonly abort = new AbortController();
  private readonly informers: Pick<Informer<never>, "stop">[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly cs: Clientset,
    private readonly clusterId: string,
  ) {}

  async start(): Promise<void> {
    const signal = this.abort.signal;
    // Docker first, then the running containers: a start between the two is seen twice, harmlessly.
    const early: Parameters<EngineChecker["feed"]>[0][] = [];
    let seeded = false;
    await followEngineEvents(this.clusterId, (e) => (seeded ? this.engines.feed(e) : early.push(e)), signal);
    await new Promise((r) => setTimeout(r, 500));
    this.engines.seed((await clusterThings(this.clusterId, "container")).filter((c) => c.running));
    seeded = true;
    for (const e of early) this.engines.feed(e);
    const watch = <K extends Kind>(kind: K) => {
      const inf = newInformer(this.cs.resource(kind), { namespace: "default" });
      const push = (type: "put" | "delete") => (obj: DeepReadonly<unknown>) => {
        const o = obj as ApiEvent["obj"];
        this.merge.push(kind, { kind, type, rv: revisionOf(o), obj: o } as ApiEvent);
      };
      inf.addEventHandler({ add: push("put"), update: (_old, o) => push("put")(o), delete: push("delete") });
      inf.start(signal);
      this.informers.push(inf);
      return inf;
    };
    const infs = KINDS.map((k) => watch(k));
    await Promise.all(infs.map((i) => i.waitForSync(signal)));
    // Each watch has seen everything up to its last event or BOOKMARK.
    this.timer = setInterval(() => {
      for (const [i, kind] of KINDS.entries()) this.merge.advance(kind, Number(infs[i]?.lastSyncResourceVersion() ?? 0) || 0);
    }, 250);
  }

  /** Stops the watches and delivers what they still hold. Idempotent. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await Promise.all(this.informers.map((i) => i.stop()));
    this.merge.drain();
  }

  violations(): Violation[] {
    return [...this.surge.violations, ...this.engines.violations, ...this.lost.violations];
  }

  counters(): Counters {
    return { surgeChecks: this.surge.checks, engineStarts: this.engines.starts, lostChecks: this.lost.checks, late: this.merge.late };
  }
}
