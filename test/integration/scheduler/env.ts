// One scheduling scenario's world: a real API server on real etcd, simulated nodes from the fake
// kubelet, and mk-scheduler running in this process (through runScheduler, as main.ts wires it).
import type { Event, Pod } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { runScheduler } from "@mk/scheduler/run";
import type { Scheduler } from "@mk/scheduler/scheduler";
import { pino } from "pino";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { FakeKubelet, type SimulatedNode } from "../../harness/fake-kubelet.js";
import { makePod, type PodOpts } from "./fixtures.js";
import { eventually } from "../../harness/wait.js";

export interface SchedulingEnv {
  api: TestApiServer;
  cs: Clientset;
  kubelet: FakeKubelet;
  scheduler: Scheduler;
  stop(): Promise<void>;
}

export async function startEnv(nodes: SimulatedNode[], opts: { scheduler?: boolean } = {}): Promise<SchedulingEnv> {
  const api = await startTestApiServer();
  const cs = connect({ server: api.address });
  const kubelet = new FakeKubelet({ client: cs, nodes });
  await kubelet.start();
  const abort = new AbortController();
  let scheduler: Scheduler | undefined;
  const running =
    opts.scheduler === false
      ? Promise.resolve()
      : runScheduler(abort.signal, {
          client: cs,
          logger: pino({ level: process.env.MK_TEST_LOG_LEVEL ?? "silent" }),
          onScheduler: (s) => {
            scheduler = s;
          },
        });
  return {
    api,
    cs,
    kubelet,
    get scheduler(): Scheduler {
      if (!scheduler) throw new Error("the scheduler is not running");
      return scheduler;
    },
    async stop() {
      abort.abort();
      await running;
      await kubelet.stop();
      cs.close();
      await api.stop();
    },
  };
}

/** A pod to create (the server assigns uid and status). */
export function newPod(name: string, o: PodOpts = {}): Pod {
  const p = makePod(name, { uid: "", ...o });
  p.status = undefined;
  return p;
}

export async function boundNode(cs: Clientset, name: string, namespace = "default", timeoutMs = 10_000): Promise<string> {
  return await eventually(`${namespace}/${name} bound`, async () => (await cs.pods.get(name, namespace)).spec?.nodeName || undefined, timeoutMs);
}

/** Waits until the pod carries PodScheduled=False and returns that condition's reason and message. */
export async function unschedulableCondition(cs: Clientset, name: string, namespace = "default"): Promise<{ reason: string; message: string }> {
  return await eventually(`${namespace}/${name} PodScheduled=False`, async () => {
    const p = await cs.pods.get(name, namespace);
    const c = p.status?.conditions.find((x) => x.type === "PodScheduled" && x.status === "False");
    return c ? { reason: c.reason, message: c.message } : undefined;
  });
}

export async function eventsFor(cs: Clientset, name: string, namespace = "default"): Promise<Event[]> {
  const list = await cs.events.list({ namespace });
  return list.items.filter((e) => e.involvedObject?.name === name);
}

/** Sets spec.unschedulable as `mkctl cordon` does. */
export async function setUnschedulable(cs: Clientset, node: string, value: boolean): Promise<void> {
  const n = await cs.nodes.get(node);
  n.spec = { ...(n.spec ?? { taints: [], podCidr: "", podCidrs: [], providerId: "" }), unschedulable: value };
  await cs.nodes.update(n);
}

/** @deprecated import eventually from test/harness/wait.js (kept for tests written before the merge). */
export { eventually as until } from "../../harness/wait.js";
