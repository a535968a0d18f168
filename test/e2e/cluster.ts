// Shared end-to-end setup: an isolated local cluster started through the mkctl binary (its own
// MK_HOME, MK_CONFIG, ports and node names, so several test files run side by side on one Docker
// engine), wait helpers, and what Docker holds for this cluster's nodes, read from the kubelets'
// labels (kubelet/src/runtime/names.ts).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { randomInt } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";
import type { Deployment, Pod } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { parse } from "yaml";
import { freeClusterCidr, freeServiceRange } from "../harness/cluster-cidr.js";
import { containersByLabel, DockerError, docker, imageExists, removeContainers } from "../harness/docker.js";
import { startStubUpstream, type StubUpstream } from "../harness/dns.js";
import { eventually, sleep } from "../harness/wait.js";
import { mkctl, type RunResult } from "./mkctl.js";

// The kubelet's container labels (kubelet/src/runtime/names.ts; components never share code, and a
// test reads them as Docker shows them).
export const LABEL_NODE_NAME = "io.mk.node.name";
export const LABEL_POD_UID = "io.mk.pod.uid";
export const LABEL_POD_NAME = "io.mk.pod.name";
export const LABEL_CONTAINER_NAME = "io.mk.container.name";
export const LABEL_TYPE = "io.mk.container.type";

export interface LocalClusterOptions {
  /** Names this run: node names are `<name><pid>-1`, `-2` …, unique on the shared engine. */
  name: string;
  nodes?: number;
  /** `up --ha` (kubectl/src/cluster/topology.ts): the API port's next 12 ports and etcd's next 8 are used. */
  ha?: boolean;
  /** `up --balancer` (one member per role, the API server behind a balancer): ports as --ha's. */
  balancer?: boolean;
  /** `up --isolated`: a lab (needs root); nodes in network namespaces, with --ha the etcd members too. */
  isolated?: boolean;
}

/** A component as `cluster up`'s supervisor records it in state.json. */
export interface ComponentState {
  name: string;
  pid: number;
  address: string;
  healthUrl: string;
}

/** The body of a GET on loopback, or "" when it fails or is not 2xx (health and leader probes). */
export async function fetchText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.ok ? await res.text() : "";
  } catch {
    return "";
  }
}

/** An isolated local cluster (`mkctl cluster up` with its own ports, home and node prefix). */
export class LocalCluster {
  private cs: Clientset | undefined;

  private constructor(
    readonly home: string,
    readonly env: NodeJS.ProcessEnv,
    readonly prefix: string,
    readonly nodes: readonly string[],
    readonly upArgs: readonly string[],
    /** The cluster DNS's upstream: a stub on loopback (names outside the zone never leave the host). */
    readonly dnsUpstream: StubUpstream,
  ) {}

  static async create(opts: LocalClusterOptions): Promise<LocalCluster> {
    const home = await mkdtemp(join(tmpdir(), `mk-e2e-${opts.name}-`));
    const env = { MK_HOME: home, MK_CONFIG: join(home, "config") };
    const { api, etcd } = await clusterPorts();
    const prefix = `${opts.name}${process.pid}`;
    const n = opts.nodes ?? 2;
    const nodes = Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
    // Its own pod and Service ranges: two test clusters at once must not put two pod networks on one
    // range, nor two node proxies' rules on one ClusterIP.
    const dnsUpstream = await startStubUpstream({});
    const upArgs = ["cluster", "up", "--api-port", String(api), "--etcd-port", String(etcd), "--node-prefix", prefix, "--nodes", String(n), "--cluster-cidr", freeClusterCidr(), "--service-cluster-ip-range", freeServiceRange(), "--dns-upstream", `127.0.0.1:${dnsUpstream.port}`, ...(opts.ha ? ["--ha"] : []), ...(opts.balancer ? ["--balancer"] : []), ...(opts.isolated ? ["--isolated"] : [])];
    return new LocalCluster(home, env, prefix, nodes, upArgs, dnsUpstream);
  }

  get logs(): string {
    return join(this.home, "cluster", "logs");
  }

  /** Runs mkctl against this cluster. */
  mkctl(args: readonly string[], opts: { stdin?: string; signal?: AbortSignal } = {}): Promise<RunResult> {
    return mkctl(this.env, [...args], opts.stdin, opts.signal);
  }

  /** Runs mkctl and fails the test (with its stderr) unless it exits 0; returns stdout. */
  async ok(args: readonly string[], opts: { stdin?: string; signal?: AbortSignal } = {}): Promise<string> {
    const r = await this.mkctl(args, opts);
    assert.equal(r.code, 0, `mkctl ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
    return r.stdout;
  }

  async up(timeoutSeconds = 120): Promise<RunResult> {
    return await this.mkctl([...this.upArgs, "--timeout", String(timeoutSeconds)]);
  }

  /** The supervisor's components as its state.json lists them now (pids change on restarts). */
  components(): ComponentState[] {
    return (JSON.parse(readFileSync(join(this.home, "cluster", "state.json"), "utf8")) as { components: ComponentState[] }).components;
  }

  /** One component of state.json by name; fails naming it when absent. */
  component(name: string): ComponentState {
    const c = this.components().find((x) => x.name === name);
    if (!c) throw new Error(`${name} not in state.json`);
    return c;
  }

  /** A client of this cluster's API server, from the context `cluster up` wrote into MK_CONFIG. */
  client(): Clientset {
    if (this.cs) return this.cs;
    const path = this.env.MK_CONFIG ?? "";
    const cfg = parse(readFileSync(path, "utf8")) as KubeConfig;
    const ctx = cfg.contexts?.find((c) => c.name === cfg["current-context"]);
    const cluster = cfg.clusters?.find((c) => c.name === ctx?.context.cluster)?.cluster;
    if (!cluster?.server) throw new Error(`no server for the current context in ${path}`);
    const user = cfg.users?.find((u) => u.name === ctx?.context.user)?.user;
    const pem = (file?: string, data?: string) => (data ? Buffer.from(data, "base64") : file ? readFileSync(file) : undefined);
    const ca = pem(cluster["certificate-authority"], cluster["certificate-authority-data"]);
    this.cs = connect({
      server: cluster.server.replace(/^[a-z]+:\/\//, ""),
      tls: ca
        ? {
            ca,
            cert: pem(user?.["client-certificate"], user?.["client-certificate-data"]),
            key: pem(user?.["client-key"], user?.["client-key-data"]),
            serverName: cluster["tls-server-name"],
          }
        : undefined,
      timeoutMs: 20_000,
      userAgent: "mk-e2e",
    });
    return this.cs;
  }

  /**
   * Stops everything this run started: the cluster's processes, then the containers its kubelets
   * left behind (kubelets leave containers running when stopped, so a restarted one adopts them),
   * found by this run's unique node names. MK_E2E_KEEP=1 keeps MK_HOME (logs) for a post-mortem.
   */
  async stop(): Promise<void> {
    this.cs?.close();
    this.cs = undefined;
    await this.mkctl(["cluster", "down"]);
    for (const node of this.nodes) await removeContainers(await containersByLabel(LABEL_NODE_NAME, node));
    // Again, now that no pod uses them: the pod networks go too.
    await this.mkctl(["cluster", "down"]);
    await this.dnsUpstream.stop();
    if (process.env.MK_E2E_KEEP === "1") console.error(`e2e: kept ${this.home}`);
    else await rm(this.home, { recursive: true, force: true });
  }
}

/**
 * An API port and an etcd port for `cluster up`: the API port's next 12 ports (health checks,
 * kubelets; with --ha/--balancer the other members) and etcd's next 8 (peer and health ports; the
 * --ha members) all free now and below Linux's ephemeral range (32768-60999), where no outgoing
 * connection can take one of them between the check and the listen (a cluster at a port the kernel
 * had handed out once met its controller manager's port taken by an outgoing connection in CI).
 */
export async function clusterPorts(): Promise<{ api: number; etcd: number }> {
  let api: number;
  let etcd: number;
  do api = 20_000 + randomInt(12_000);
  while (!(await spanFree(api, 12)));
  do etcd = 20_000 + randomInt(12_000);
  while ((etcd + 8 >= api && etcd <= api + 12) || !(await spanFree(etcd, 8)));
  return { api, etcd };
}

/** Whether port … port + span are all free on loopback now (an HA cluster listens on each). */
export async function spanFree(port: number, span: number): Promise<boolean> {
  for (let p = port; p <= port + span; p++) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once("error", () => resolve(false));
      srv.listen(p, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

interface KubeConfig {
  "current-context"?: string;
  contexts?: { name: string; context: { cluster: string; user?: string } }[];
  clusters?: {
    name: string;
    cluster: { server: string; "certificate-authority"?: string; "certificate-authority-data"?: string; "tls-server-name"?: string };
  }[];
  users?: {
    name: string;
    user: { "client-certificate"?: string; "client-key"?: string; "client-certificate-data"?: string; "client-key-data"?: string };
  }[];
}

// ---- steps ----

/**
 * A scenario as a sequence of top-level tests, one per step, each with its own timeout (a loaded
 * machine is slow, and one test for the whole scenario would need the sum). After a failed or timed
 * out step the rest fail at once, saying which step broke; a step's function gets the test's signal,
 * aborted when its time is up, so it stops waiting instead of running on into the next step.
 */
export function steps(timeoutMs: number): (name: string, fn: (signal: AbortSignal) => Promise<void>) => void {
  let failed = "";
  return (name, fn) => {
    test(name, { timeout: timeoutMs }, async (t) => {
      if (failed) assert.fail(`skipped: an earlier step failed (${failed})`);
      const t0 = Date.now();
      const onAbort = () => {
        failed ||= name;
      };
      t.signal.addEventListener("abort", onAbort, { once: true });
      try {
        await fn(t.signal);
      } catch (err) {
        failed ||= name;
        throw err;
      } finally {
        t.signal.removeEventListener("abort", onAbort);
        console.log(`# ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    });
  };
}

// ---- waiting ----

/** Re-exported for the e2e tests that import them from here. */
export { eventually, sleep };

// ---- images ----

/** An image's id; fails if it is absent (tests never pull). */
export async function imageId(ref: string): Promise<string> {
  return await docker(["image", "inspect", "--format", "{{.Id}}", ref]);
}

/**
 * Makes `tag` a local name of `source` (e.g. node:v1 for mk/web:v1) if it is absent. Tags are
 * shared by every test on the engine: one that exists is kept (never removed nor moved), and must
 * already name the same image.
 */
export async function ensureTag(source: string, tag: string): Promise<void> {
  const want = await imageId(source);
  if (!(await imageExists(tag))) {
    try {
      await docker(["tag", source, tag]);
    } catch (err) {
      // Another test may have tagged it at the same moment; the check below decides.
      if (!(err instanceof DockerError)) throw err;
    }
  }
  assert.equal(await imageId(tag), want, `${tag} exists but is not ${source}; it is not this test's to move`);
}

// ---- what Docker holds ----

export interface MkContainer {
  id: string;
  name: string;
  /** The image as the container was created with (Config.Image), e.g. node:v1. */
  image: string;
  /** The image's id (sha256:…). */
  imageId: string;
  running: boolean;
  node: string;
  podUid: string;
  podName: string;
  container: string;
  /** "sandbox" (pause) or "container". */
  type: string;
  ip: string;
}

interface Inspect {
  Id: string;
  Name: string;
  Image: string;
  Config: { Image: string; Labels: Record<string, string> | null };
  State: { Running: boolean };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> | null };
}

/** Every container (running or not) the kubelets of these nodes made, read from the engine. */
export async function containersOf(nodes: readonly string[]): Promise<MkContainer[]> {
  const ids = new Set<string>();
  for (const node of nodes) for (const id of await containersByLabel(LABEL_NODE_NAME, node)) ids.add(id);
  if (ids.size === 0) return [];
  let out: string;
  try {
    out = await docker(["inspect", ...ids]);
  } catch (err) {
    // A container removed between the listing and the inspect (a pod being replaced): look again.
    if (err instanceof DockerError && /no such object|no such container/i.test(err.stderr)) return await containersOf(nodes);
    throw err;
  }
  return (JSON.parse(out) as Inspect[]).map((c) => {
    const l = c.Config.Labels ?? {};
    const sandboxIp = Object.values(c.NetworkSettings.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress ?? "";
    return {
      id: c.Id,
      name: c.Name.replace(/^\//, ""),
      image: c.Config.Image,
      imageId: c.Image,
      running: c.State.Running,
      node: l[LABEL_NODE_NAME] ?? "",
      podUid: l[LABEL_POD_UID] ?? "",
      podName: l[LABEL_POD_NAME] ?? "",
      container: l[LABEL_CONTAINER_NAME] ?? "",
      type: l[LABEL_TYPE] ?? "",
      ip: sandboxIp,
    };
  });
}

// ---- the API's view ----

export const isReady = (p: Pod) => p.status?.conditions.some((c) => c.type === "Ready" && c.status === "True") === true;
export const isTerminating = (p: Pod) => Boolean(p.metadata?.deletionTimestamp);

/** The deployment's pods (by its selector's app label), in the default namespace. */
export async function podsOf(cs: Clientset, app: string): Promise<Pod[]> {
  return (await cs.pods.list({ namespace: "default", labelSelector: `app=${app}` })).items;
}

export interface Expected {
  deployment: string;
  replicas: number;
  /** The image every pod and container has (as written in the pod spec). */
  image: string;
}

export interface Converged {
  pods: Pod[];
  containers: MkContainer[];
  /** Pods per node. */
  perNode: Map<string, number>;
}

/**
 * Whether the deployment has settled on `want` in the API and in Docker alike; a reason otherwise.
 * API: the rollout is complete (observed, all replicas updated and available, no old ones), exactly
 * `replicas` pods, none terminating, each bound, Running, Ready, with the image. Docker: the pods'
 * uids are exactly those of the containers on this cluster's nodes (nothing left of deleted pods);
 * each pod has one running pause and one running app container, created with the image (and its
 * id), on the node the pod is bound to.
 */
export async function converged(cs: Clientset, nodes: readonly string[], want: Expected): Promise<Converged | string> {
  const d: Deployment = await cs.deployments.get(want.deployment, "default");
  const s = d.status;
  const gen = d.metadata?.generation ?? 0;
  if ((s?.observedGeneration ?? 0) < gen) return `deployment generation ${gen} not observed yet (${s?.observedGeneration ?? 0})`;
  if (d.spec?.replicas !== want.replicas) return `deployment spec.replicas ${d.spec?.replicas}`;
  const counts = `replicas ${s?.replicas} updated ${s?.updatedReplicas} ready ${s?.readyReplicas} available ${s?.availableReplicas}`;
  if (s?.replicas !== want.replicas || s.updatedReplicas !== want.replicas || s.availableReplicas !== want.replicas || s.readyReplicas !== want.replicas) {
    return `deployment status: ${counts}`;
  }
  const pods = await podsOf(cs, want.deployment);
  if (pods.length !== want.replicas) return `${pods.length} pods in the API`;
  for (const p of pods) {
    const name = p.metadata?.name;
    if (isTerminating(p)) return `pod ${name} terminating`;
    if (!p.spec?.nodeName || !nodes.includes(p.spec.nodeName)) return `pod ${name} on node "${p.spec?.nodeName ?? ""}"`;
    if (p.spec.containers[0]?.image !== want.image) return `pod ${name} has image ${p.spec.containers[0]?.image}`;
    if (p.status?.phase !== "Running" || !isReady(p)) return `pod ${name} is ${p.status?.phase}, ready ${isReady(p)}`;
  }
  const wantId = await imageId(want.image);
  const containers = await containersOf(nodes);
  const byPod = new Map<string, MkContainer[]>();
  for (const c of containers) byPod.set(c.podUid, [...(byPod.get(c.podUid) ?? []), c]);
  const uids = new Set(pods.map((p) => p.metadata?.uid ?? ""));
  for (const [uid, cs2] of byPod) {
    if (!uids.has(uid)) return `containers of a pod not in the API: ${cs2.map((c) => `${c.name} (${c.running ? "running" : "exited"})`).join(", ")}`;
  }
  const perNode = new Map<string, number>(nodes.map((n) => [n, 0]));
  for (const p of pods) {
    const uid = p.metadata?.uid ?? "";
    const name = p.metadata?.name ?? "";
    const node = p.spec?.nodeName ?? "";
    const mine = byPod.get(uid) ?? [];
    const sandboxes = mine.filter((c) => c.type === "sandbox");
    const apps = mine.filter((c) => c.type === "container");
    if (sandboxes.length !== 1 || apps.length !== 1 || mine.length !== 2) {
      return `pod ${name}: ${sandboxes.length} sandbox(es), ${apps.length} app container(s), ${mine.length} in all`;
    }
    for (const c of mine) {
      if (!c.running) return `pod ${name}: container ${c.name} not running`;
      if (c.node !== node) return `pod ${name} is bound to ${node} but its container ${c.name} is labelled ${c.node}`;
    }
    const sandboxIp = sandboxes[0]?.ip;
    if (!sandboxIp || p.status?.podIp !== sandboxIp) return `pod ${name}: podIP ${p.status?.podIp} but its sandbox has ${sandboxIp}`;
    const app = apps[0];
    if (app?.image !== want.image || app.imageId !== wantId) return `pod ${name}: container ${app?.name} runs ${app?.image} (${app?.imageId.slice(0, 19)})`;
    if (app.podName !== name) return `pod ${name}: container labelled for pod ${app.podName}`;
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  return { pods, containers, perNode };
}

/** Waits until converged(); fails with the last reason. */
export async function waitConverged(
  cs: Clientset,
  nodes: readonly string[],
  want: Expected,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<Converged> {
  return await eventually(
    `${want.replicas} × ${want.image} for deployment ${want.deployment}`,
    async (why) => {
      const c = await converged(cs, nodes, want);
      return typeof c === "string" ? why(c) : c;
    },
    timeoutMs,
    { everyMs: 500, signal },
  );
}
