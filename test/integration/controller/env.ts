// A controller test environment: a fresh etcd + in-process API server, the fake kubelet (auto-binding
// pods to simulated nodes, as a scheduler would) and the controllers under test, in-process.
import { type Clientset, connect, EventRecorder } from "@mk/proto/client";
import { type Clock, InformerFactory } from "@mk/proto/informer";
import { CronJobController } from "@mk/controller/cronjob/controller.js";
import { DeploymentController } from "@mk/controller/deployment/controller.js";
import { GarbageCollector } from "@mk/controller/gc/collector.js";
import { JobController, type JobControllerOptions } from "@mk/controller/job/controller.js";
import { silentLogger } from "@mk/controller/log.js";
import { PodGCController } from "@mk/controller/podgc/controller.js";
import { ReplicaSetController } from "@mk/controller/replicaset/controller.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { FakeKubelet, type FakeKubeletOptions, simulatedNodes } from "../../harness/fake-kubelet.js";

export interface ControllerEnv {
  server: TestApiServer;
  client: Clientset;
  kubelet: FakeKubelet;
  stop(): Promise<void>;
}

export interface EnvOptions {
  nodes?: number;
  readyDelayMs?: number;
  /** Renew the simulated nodes' Leases this often (0: never), for a node lifecycle controller. */
  leaseRenewMs?: number;
  /** Which controllers run in-process (default all). */
  controllers?: Array<"replicaset" | "deployment" | "gc" | "podgc" | "job" | "cronjob">;
  /** The CronJob controller's clock: its now() is the wall clock in ms since the epoch (a ManualClock started at Date.now()). */
  cronJobClock?: Clock;
  /** The fake kubelet's exit code for run-to-completion pods, and how long they run first. */
  exitCodeFor?: FakeKubeletOptions["exitCodeFor"];
  runMs?: number;
  /** The Job controller's back-off (Kubernetes' 10 s is long for a test). */
  jobBackoff?: Pick<JobControllerOptions, "backoffBaseMs" | "backoffMaxMs">;
  /** The pod GC's quarantine of a missing node (default 1 s, short for tests). */
  podGCQuarantineMs?: number;
}

export async function startEnv(o: EnvOptions = {}): Promise<ControllerEnv> {
  const server = await startTestApiServer();
  const client = connect({ server: server.address });
  const kubelet = new FakeKubelet({ client, nodes: simulatedNodes(o.nodes ?? 3), autoBind: true, readyDelayMs: o.readyDelayMs ?? 0, leaseRenewMs: o.leaseRenewMs ?? 0, exitCodeFor: o.exitCodeFor, runMs: o.runMs });
  await kubelet.start();
  const abort = new AbortController();
  const factory = new InformerFactory(client, { logger: silentLogger });
  const recorder = new EventRecorder(client, { component: "mk-controller-manager" });
  const which = new Set(o.controllers ?? ["replicaset", "deployment", "gc", "podgc"]);
  const runs: Promise<void>[] = [];
  const pods = factory.informerFor("Pod");
  const rss = factory.informerFor("ReplicaSet");
  const deployments = factory.informerFor("Deployment");
  if (which.has("replicaset")) {
    const c = new ReplicaSetController({ client, rsInformer: rss, podInformer: pods, recorder, logger: silentLogger });
    runs.push(c.run(5, abort.signal));
  }
  if (which.has("deployment")) {
    const c = new DeploymentController({ client, deploymentInformer: deployments, rsInformer: rss, podInformer: pods, recorder, logger: silentLogger });
    runs.push(c.run(5, abort.signal));
  }
  if (which.has("job")) {
    const c = new JobController({ client, jobInformer: factory.informerFor("Job"), podInformer: pods, recorder, logger: silentLogger, ...o.jobBackoff });
    runs.push(c.run(5, abort.signal));
  }
  if (which.has("cronjob")) {
    const clock = o.cronJobClock;
    const c = new CronJobController({
      client,
      cronJobInformer: factory.informerFor("CronJob"),
      jobInformer: factory.informerFor("Job"),
      recorder,
      logger: silentLogger,
      ...(clock ? { clock, now: () => new Date(clock.now()) } : {}),
    });
    runs.push(c.run(5, abort.signal));
  }
  if (which.has("gc")) {
    const c = new GarbageCollector({ client, informers: factory, logger: silentLogger });
    runs.push(c.run(5, abort.signal));
  }
  if (which.has("podgc")) {
    const c = new PodGCController({
      client,
      podInformer: pods,
      nodeInformer: factory.informerFor("Node"),
      logger: silentLogger,
      quarantineMs: o.podGCQuarantineMs ?? 1_000,
    });
    runs.push(c.run(2, abort.signal));
  }
  factory.start(abort.signal);
  return {
    server,
    client,
    kubelet,
    async stop() {
      abort.abort();
      await Promise.allSettled(runs);
      await factory.stop();
      await kubelet.stop();
      client.close();
      await server.stop();
    },
  };
}

/** @deprecated import eventually from test/harness/wait.js (kept for tests written before the merge). */
export { eventually as waitFor } from "../../harness/wait.js";
