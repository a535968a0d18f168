// syncPod: makes the runtime match one pod bound to this node, then reports its status. Idempotent and
// level-triggered: it reads what runs (observe.ts) and acts on the difference, in the order of
// Kubernetes' SyncPod:
//   deleted?            → stop everything (SIGTERM, grace, SIGKILL), remove it, delete the pod object
//   terminal phase?     → stop the sandbox, report, nothing restarts
//   no live sandbox?    → kill what is left, make volumes, create a new sandbox (pause container);
//                         a fresh pod (nothing in the runtime yet, no init containers) has its app
//                         containers created while the sandbox starts, so they start as soon as it runs
//   per spec container  → running and healthy: keep; spec changed or liveness failed: kill;
//                         dead: restartPolicy, then back-off (CrashLoopBackOff); then image
//                         (ErrImagePull / ImagePullBackOff / ErrImageNeverPull), create, start,
//                         postStart hook (the sync waits for it: the container is reported Running
//                         only after; a failure kills it, FailedPostStartHook)
//   every kill          → the container's preStop hook first, its time taken from the grace period
//   status              → computed from the runtime, posted when changed
import { type Container, objectKey, type Pod, pullPolicyOf, restartPolicyOf } from "@mk/proto";
import type { Logger } from "pino";
import { type ConfigApi, ConfigReader } from "../config/api.js";
import { type PodInfo, resolveEnv } from "../config/env.js";
import { serviceEnv, withServiceEnv } from "../config/service-env.js";
import { ensurePodResolvConf, writePodResolvConf } from "../dns/pod-resolv.js";
import { hostCapacity } from "../node/host.js";
import { hasConfigVolumes, removePodDir, writeConfigVolumes } from "../config/volumes.js";
import { type HookTarget, runHook } from "../lifecycle/hooks.js";
import { runPreStop } from "../lifecycle/pre-stop.js";
import type { ProbeManager } from "../probes/manager.js";
import { LABEL_HASH } from "../runtime/names.js";
import { appContainerConfig, containerHash, graceSeconds, type NodeSettings, PodConfigError, sandboxConfig } from "../runtime/pod-spec.js";
import { type ContainerDetails, type ContainerRuntime, ImageNeverPullError, ImagePullError } from "../runtime/runtime.js";
import { prepareVolumes } from "../runtime/volumes.js";
import type { PodApi } from "./api.js";
import { Backoff } from "./backoff.js";
import { attemptOf, liveSandbox, type ObservedPod, observePod } from "./observe.js";
import { computeStatus, type Waiting } from "./status.js";
import type { StatusManager } from "./status-manager.js";
import { killAndRemovePod, stopPod } from "./termination.js";

export type EventType = "Normal" | "Warning";

export interface PodEvents {
  event(pod: Pod, type: EventType, reason: string, message: string): void;
}

export interface PodSyncerDeps {
  rt: ContainerRuntime;
  api: PodApi;
  /** Reads the ConfigMaps and Secrets of env references and volumes. */
  config: ConfigApi;
  node: NodeSettings;
  events: PodEvents;
  status: StatusManager;
  probes: ProbeManager;
  log: Logger;
  /** Asks for another sync of the pod after ms (back-off expiry). */
  requeue(podKey: string, ms: number): void;
  crashBackoff?: Backoff;
  pullBackoff?: Backoff;
  now?: () => Date;
}

const isTerminalPhase = (p: string | undefined) => p === "Succeeded" || p === "Failed";

export class PodSyncer {
  private readonly d: PodSyncerDeps;
  private readonly crash: Backoff;
  private readonly pull: Backoff;
  private readonly now: () => Date;
  /** uid → container name → why it is not running (from the last sync). */
  private readonly waiting = new Map<string, Map<string, Waiting>>();

  constructor(deps: PodSyncerDeps) {
    this.d = deps;
    this.crash = deps.crashBackoff ?? new Backoff();
    this.pull = deps.pullBackoff ?? new Backoff();
    this.now = deps.now ?? (() => new Date());
  }

  async sync(pod: Pod, signal: AbortSignal): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    const key = objectKey(pod);
    if (pod.metadata?.deletionTimestamp) {
      await this.terminate(pod);
      return;
    }
    let observed = await observePod(this.d.rt, this.d.node, uid);
    const waiting = new Map<string, Waiting>();
    this.waiting.set(uid, waiting);

    if (isTerminalPhase(pod.status?.phase)) {
      // Kubernetes never restarts a terminal pod; its sandbox goes.
      const sb = liveSandbox(observed);
      if (sb) await this.d.rt.stopContainer(sb.id, 0);
      this.d.probes.removePod(key);
      return;
    }

    // Each ConfigMap and Secret this sync needs is read once, now (see config/api.ts).
    const reader = new ConfigReader(this.d.config, pod.metadata?.namespace || "default", signal);
    let sandbox = liveSandbox(observed);
    if (sandbox) await this.refreshConfigVolumes(pod, reader, this.podInfo(pod, sandbox));
    let sandboxChanged = false;
    /** App containers created beside a fresh sandbox: container name → id, started below. */
    let precreated = new Map<string, string>();
    if (!sandbox && !this.completed(pod, observed)) {
      const fresh = observed.sandboxes.length === 0 && observed.containers.size === 0 && (pod.spec?.initContainers ?? []).length === 0;
      const made = await this.newSandbox(pod, observed, waiting, fresh, reader);
      if (!made) {
        await this.report(pod, await observePod(this.d.rt, this.d.node, uid), waiting, signal);
        return;
      }
      sandbox = made.sandbox;
      precreated = made.precreated;
      sandboxChanged = true;
      // A fresh pod had nothing in the runtime: what it has now is this sandbox (its precreated
      // containers are started, and observed, below). Otherwise read again what the restart left.
      observed = fresh ? { sandboxes: [sandbox], containers: new Map() } : await observePod(this.d.rt, this.d.node, uid);
    }

    let changed = false;
    // Init containers run one at a time, in order, each to success, before any app container starts.
    let initialized = true;
    for (const c of pod.spec?.initContainers ?? []) {
      const latest = observed.containers.get(c.name)?.[0];
      if (latest && !latest.running && latest.state !== "created" && latest.exitCode === 0) continue;
      initialized = false;
      if (!signal.aborted && (await this.syncContainer(pod, c, observed, sandbox, sandboxChanged, waiting, reader, signal, true))) changed = true;
      break;
    }
    for (const c of initialized ? (pod.spec?.containers ?? []) : []) {
      if (signal.aborted) return;
      if (await this.syncContainer(pod, c, observed, sandbox, sandboxChanged, waiting, reader, signal, false, precreated.get(c.name))) changed = true;
    }
    if (changed) observed = await observePod(this.d.rt, this.d.node, uid);

    const host = pod.spec?.hostNetwork ? this.d.node.nodeIp : (sandbox?.ipAddress ?? "");
    const running = new Map<string, string>();
    for (const [name, list] of observed.containers) if (list[0]?.running) running.set(name, list[0].id);
    this.d.probes.update(pod, key, host, running);
    await this.report(pod, observed, waiting, signal);
  }

  /**
   * What the downward API reads. The pod's IP is its sandbox's (the node's with hostNetwork); without
   * a running sandbox it is not known yet, and a container whose env reads it is created later.
   */
  private podInfo(pod: Pod, sandbox: ContainerDetails | undefined): PodInfo {
    const node = this.d.node;
    const podIP = pod.spec?.hostNetwork ? node.nodeIp : sandbox?.ipAddress || undefined;
    const cap = node.allocatable ?? hostCapacity();
    return { pod, podIP, hostIP: node.nodeIp, allocatable: { cpu: cap.cpu, memory: cap.memory } };
  }

  /** restartPolicy Never/OnFailure and every container finished for good: no sandbox needed. */
  private completed(pod: Pod, observed: ObservedPod): boolean {
    const policy = restartPolicyOf(pod.spec);
    if (policy === "Always") return false;
    return (pod.spec?.containers ?? []).every((c) => {
      const latest = observed.containers.get(c.name)?.[0];
      if (!latest || latest.running || latest.state === "created") return false;
      return policy === "Never" || latest.exitCode === 0;
    });
  }

  /**
   * Creates and starts a new sandbox. With `fresh` (nothing of the pod in the runtime, no init
   * containers), the app containers whose image is already here are created while the sandbox
   * starts: the engine's sandbox start (network setup) is the slow step of a pod start, and the
   * creates no longer wait behind it. Returns the running sandbox and those containers' ids.
   */
  private async newSandbox(
    pod: Pod,
    observed: ObservedPod,
    waiting: Map<string, Waiting>,
    fresh: boolean,
    reader: ConfigReader,
  ): Promise<{ sandbox: ContainerDetails; precreated: Map<string, string> } | undefined> {
    const uid = pod.metadata?.uid ?? "";
    const old = observed.sandboxes[0];
    if (old) {
      // The pod's network namespace is gone: its containers go with it and come back in the new one.
      this.d.events.event(pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.");
      await stopPod(this.d.rt, this.d.node, uid, {
        graceSeconds: graceSeconds(pod),
        onKill: (name) => this.killing(pod, name, ""),
        preStop: (name, id, grace) => this.preStop(pod, this.specOf(pod, name), id, grace, this.podIp(pod, old)),
      });
    }
    let precreating: Promise<Map<string, string>> = Promise.resolve(new Map());
    try {
      await writeConfigVolumes(pod, this.d.node, reader, this.podInfo(pod, undefined));
      const dns = this.d.node.dns;
      if (dns) for (const [reason, message] of await writePodResolvConf(pod, this.d.node, dns)) this.d.events.event(pod, "Warning", reason, message);
      await prepareVolumes(this.d.rt, pod, this.d.node);
      await this.d.rt.ensureImage(this.d.node.podInfraImage, "IfNotPresent");
      const attempt = old ? attemptOf(old) + 1 : 0;
      const id = await this.d.rt.createContainer(sandboxConfig(pod, this.d.node, attempt));
      if (fresh) precreating = this.precreate(pod, id, reader);
      await this.d.rt.startContainer(id);
      for (const s of observed.sandboxes) await this.d.rt.removeContainer(s.id);
      const sandbox = await this.d.rt.inspectContainer(id);
      if (!sandbox) throw new Error(`sandbox ${id.slice(0, 12)} vanished after its start`);
      return { sandbox, precreated: await precreating };
    } catch (err) {
      // Containers created beside a sandbox that did not start are of no use. A removal that fails
      // is not this error's business: the next sync sees the container and replaces it.
      for (const cid of (await precreating).values()) await this.d.rt.removeContainer(cid).catch(() => undefined);
      const reason = err instanceof PodConfigError ? err.reason : "FailedCreatePodSandBox";
      const message = err instanceof Error ? err.message : String(err);
      this.d.events.event(pod, "Warning", reason, message);
      for (const c of pod.spec?.containers ?? []) waiting.set(c.name, { reason: err instanceof PodConfigError ? err.reason : "ContainerCreating", message });
      this.d.log.warn({ pod: objectKey(pod), err }, "pod sandbox not created");
      this.d.requeue(objectKey(pod), 5_000);
      return undefined;
    }
  }

  /**
   * Creates the app containers of a fresh pod in the sandbox `sandboxId` (not yet running) when their
   * image is already on the node and the pull policy does not ask for a pull; the others (and any
   * create that fails) are left to syncContainer, which pulls, reports and retries as usual.
   */
  private async precreate(pod: Pod, sandboxId: string, reader: ConfigReader): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    await Promise.all(
      (pod.spec?.containers ?? []).map(async (c) => {
        if (pullPolicyOf(c) === "Always") return;
        try {
          await this.d.rt.ensureImage(c.image, "Never");
          // The sandbox has no address yet: a container reading status.podIP is left to syncContainer.
          const env = await this.containerEnv(pod, c, reader, this.podInfo(pod, undefined));
          const id = await this.d.rt.createContainer(appContainerConfig(pod, c, this.d.node, sandboxId, 0, env));
          this.d.events.event(pod, "Normal", "Pulled", `Container image "${c.image}" already present on machine`);
          this.d.events.event(pod, "Normal", "Created", `Created container ${c.name}`);
          out.set(c.name, id);
        } catch (err) {
          // Absent image, invalid config …: syncContainer meets the same error and reports it.
          this.d.log.debug({ pod: objectKey(pod), container: c.name, err }, "container not created beside its sandbox");
        }
      }),
    );
    return out;
  }

  /**
   * The container's environment with its ConfigMap and Secret keys, then the Service variables
   * (config/service-env.ts); invalid envFrom names are reported.
   */
  private async containerEnv(pod: Pod, c: Container, reader: ConfigReader, info: PodInfo): Promise<string[]> {
    const { env, invalidNames } = await resolveEnv(c, reader, info);
    if (invalidNames.length > 0) {
      this.d.events.event(pod, "Warning", "InvalidEnvironmentVariableNames", `Keys [${invalidNames.join(", ")}] from the EnvFrom of container ${c.name} were skipped since they are considered invalid environment variable names.`);
    }
    const services = serviceEnv(await reader.services(), reader.namespace, pod.spec?.enableServiceLinks ?? true);
    return withServiceEnv(env, services);
  }

  /**
   * Rewrites the configMap, secret, downwardAPI and projected volumes of a running pod from the
   * objects (and the pod) as they are now. Kubernetes keeps the last files when an object goes away
   * or the API cannot be read: so here.
   */
  private async refreshConfigVolumes(pod: Pod, reader: ConfigReader, info: PodInfo): Promise<void> {
    if (!hasConfigVolumes(pod)) return;
    try {
      const changed = await writeConfigVolumes(pod, this.d.node, reader, info);
      if (changed.length > 0) this.d.log.debug({ pod: objectKey(pod), volumes: changed }, "config volumes updated");
    } catch (err) {
      if (err instanceof PodConfigError) this.d.events.event(pod, "Warning", "FailedMount", err.message);
      // The error names objects and keys only (config/volumes.ts), never their values.
      this.d.log.warn({ pod: objectKey(pod), err }, "config volumes not updated");
    }
  }

  private killing(pod: Pod, name: string, why: string): void {
    this.d.events.event(pod, "Normal", "Killing", why || `Stopping container ${name}`);
  }

  /** The spec of the pod's container (app or init) of that name. */
  private specOf(pod: Pod, name: string): Container | undefined {
    return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
  }

  /** Where a hook's httpGet goes without a host: the node for hostNetwork pods, else the sandbox's address. */
  private podIp(pod: Pod, sandbox: ContainerDetails | undefined): string {
    if (pod.spec?.hostNetwork) return this.d.node.nodeIp;
    return sandbox?.ipAddress || pod.status?.podIp || "";
  }

  private hookTarget(pod: Pod, c: Container, containerId: string, podIp: string): HookTarget {
    return { rt: this.d.rt, pod, container: c, containerId, podIp };
  }

  /**
   * The container's preStop hook, if it has one and there is a grace period: run for at most the
   * grace period; returns the seconds left for the stop (Kubernetes' executePreStopHook).
   */
  private async preStop(pod: Pod, c: Container | undefined, containerId: string, grace: number, podIp: string): Promise<number> {
    const hook = c?.lifecycle?.preStop;
    if (!c || !hook || grace <= 0) return grace;
    const out = await runPreStop(hook, this.hookTarget(pod, c, containerId, podIp), grace);
    const log = { pod: objectKey(pod), container: c.name, containerId: containerId.slice(0, 12) };
    if (!out.result) this.d.log.info({ ...log, gracePeriod: grace }, "PreStop hook not completed in grace period");
    else if (!out.result.ok) {
      this.d.log.warn({ ...log, message: out.result.message }, "PreStop hook failed");
      // Kubernetes keeps the handler's message out of the event: it may carry a secret.
      this.d.events.event(pod, "Warning", "FailedPreStopHook", "PreStopHook failed");
    }
    return out.remainingSeconds;
  }

  /** Stops one running container: its preStop hook, then the stop signal with what is left of the grace period. */
  private async stopContainer(pod: Pod, c: Container, containerId: string, grace: number, podIp: string): Promise<void> {
    await this.d.rt.stopContainer(containerId, await this.preStop(pod, c, containerId, grace, podIp));
  }

  /**
   * Starts a created container and runs its postStart hook; the sync (and so the pod's status) waits
   * for the hook. A failed hook kills the container (preStop included, as Kubernetes' killContainer)
   * and leaves it waiting with PostStartHookError; the restart policy takes it from there.
   */
  private async startContainer(pod: Pod, c: Container, id: string, sandbox: ContainerDetails, waiting: Map<string, Waiting>, signal: AbortSignal): Promise<void> {
    try {
      await this.d.rt.startContainer(id);
      this.d.events.event(pod, "Normal", "Started", `Started container ${c.name}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.d.events.event(pod, "Warning", "Failed", `Error: ${message}`);
      waiting.set(c.name, { reason: "RunContainerError", message });
      return;
    }
    const hook = c.lifecycle?.postStart;
    if (!hook) return;
    const podIp = this.podIp(pod, sandbox);
    const r = await runHook(hook, this.hookTarget(pod, c, id, podIp), signal);
    if (r.ok || signal.aborted) return;
    this.d.log.warn({ pod: objectKey(pod), container: c.name, containerId: id.slice(0, 12), message: r.message }, "PostStart hook failed");
    this.d.events.event(pod, "Warning", "FailedPostStartHook", "PostStartHook failed");
    this.killing(pod, c.name, "FailedPostStartHook");
    await this.stopContainer(pod, c, id, graceSeconds(pod), podIp);
    waiting.set(c.name, { reason: "PostStartHookError", message: r.message });
  }

  /** Returns true when it changed something in the runtime. */
  private async syncContainer(
    pod: Pod,
    c: Container,
    observed: ObservedPod,
    sandbox: ContainerDetails | undefined,
    sandboxChanged: boolean,
    waiting: Map<string, Waiting>,
    reader: ConfigReader,
    signal: AbortSignal,
    init = false,
    precreatedId?: string,
  ): Promise<boolean> {
    const uid = pod.metadata?.uid ?? "";
    const bkey = `${uid}/${c.name}`;
    const instances = observed.containers.get(c.name) ?? [];
    const latest = instances[0];
    const grace = graceSeconds(pod);
    let killed = false;
    if (latest?.running) {
      const unhealthy = this.d.probes.unhealthy(latest.id);
      if (latest.labels[LABEL_HASH] !== containerHash(c)) {
        this.killing(pod, c.name, `Container ${c.name} definition changed, will be restarted`);
      } else if (unhealthy) {
        this.killing(pod, c.name, `Container ${c.name} failed ${unhealthy} probe, will be restarted`);
      } else {
        return false;
      }
      await this.stopContainer(pod, c, latest.id, grace, this.podIp(pod, sandbox));
      killed = true;
      if (restartPolicyOf(pod.spec) === "Never") return true;
    } else if (latest?.state === "created" && sandbox && !sandboxChanged) {
      // Created but never started: a kubelet stopped between the two steps. Start it now.
      await this.startContainer(pod, c, latest.id, sandbox, waiting, signal);
      return true;
    }
    if (!sandbox) return killed;

    if (latest && !killed && !sandboxChanged) {
      const policy = restartPolicyOf(pod.spec);
      const failed = latest.exitCode !== 0 || latest.state === "created";
      // An init container that succeeded is done whatever the policy; a failed one is retried
      // unless the policy is Never (then the pod fails).
      if (init ? !failed || policy === "Never" : policy === "Never" || (policy === "OnFailure" && !failed)) return false;
      const finished = Date.parse(latest.finishedAt) || this.now().getTime();
      const started = Date.parse(latest.startedAt) || finished;
      this.crash.resetIfRanLong(bkey, finished - started);
      const wait = this.crash.remaining(bkey, finished);
      if (wait > 0) {
        const delay = Math.round(this.crash.current(bkey) / 1000);
        const message = `back-off ${delay}s restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`;
        waiting.set(c.name, { reason: "CrashLoopBackOff", message });
        this.d.events.event(pod, "Warning", "BackOff", `Back-off restarting failed container ${c.name} in pod ${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`);
        this.d.requeue(objectKey(pod), wait + 50);
        return false;
      }
      this.crash.next(bkey);
    }

    let id: string;
    if (precreatedId && !latest) {
      id = precreatedId;
    } else {
      if (!(await this.ensureImage(pod, c, waiting))) return killed;
      const attempt = latest ? attemptOf(latest) + 1 : 0;
      try {
        const env = await this.containerEnv(pod, c, reader, this.podInfo(pod, sandbox));
        if (this.d.node.dns) await ensurePodResolvConf(pod, this.d.node, this.d.node.dns);
        id = await this.d.rt.createContainer(appContainerConfig(pod, c, this.d.node, sandbox.id, attempt, env));
      } catch (err) {
        const reason = err instanceof PodConfigError ? err.reason : "CreateContainerError";
        const message = err instanceof Error ? err.message : String(err);
        waiting.set(c.name, { reason, message });
        this.d.events.event(pod, "Warning", "Failed", `Error: ${message}`);
        this.d.requeue(objectKey(pod), 10_000);
        return killed;
      }
      this.d.events.event(pod, "Normal", "Created", `Created container ${c.name}`);
    }
    await this.startContainer(pod, c, id, sandbox, waiting, signal);
    // Keep the newest dead instance (for `logs --previous`); older ones go.
    for (const old of instances.slice(1)) await this.d.rt.removeContainer(old.id);
    return true;
  }

  /** true when the image is there; otherwise the waiting reason is set and a retry scheduled. */
  private async ensureImage(pod: Pod, c: Container, waiting: Map<string, Waiting>): Promise<boolean> {
    const policy = pullPolicyOf(c);
    const bkey = `${pod.metadata?.uid}/${c.image}`;
    const lastFail = this.pullFailures.get(bkey);
    if (lastFail) {
      const wait = this.pull.remaining(bkey, lastFail.at);
      if (wait > 0) {
        waiting.set(c.name, { reason: "ImagePullBackOff", message: `Back-off pulling image "${c.image}"` });
        this.d.events.event(pod, "Normal", "BackOff", `Back-off pulling image "${c.image}"`);
        this.d.requeue(objectKey(pod), wait + 50);
        return false;
      }
    }
    const t0 = Date.now();
    let announced = false;
    try {
      const r = await this.d.rt.ensureImage(c.image, policy, (p) => {
        if (!announced) {
          announced = true;
          this.d.events.event(pod, "Normal", "Pulling", `Pulling image "${c.image}"`);
        }
        this.d.log.debug({ image: c.image, layer: p.id, status: p.status, current: p.current, total: p.total }, "image pull progress");
      });
      if (r.pulled) {
        if (!announced) this.d.events.event(pod, "Normal", "Pulling", `Pulling image "${c.image}"`);
        this.d.events.event(pod, "Normal", "Pulled", `Successfully pulled image "${c.image}" in ${((Date.now() - t0) / 1000).toFixed(3)}s`);
      } else {
        this.d.events.event(pod, "Normal", "Pulled", `Container image "${c.image}" already present on machine`);
      }
      this.pullFailures.delete(bkey);
      this.pull.reset(bkey);
      return true;
    } catch (err) {
      if (err instanceof ImageNeverPullError) {
        waiting.set(c.name, { reason: err.reason, message: err.message });
        this.d.events.event(pod, "Warning", "ErrImageNeverPull", err.message);
        this.d.requeue(objectKey(pod), 10_000);
        return false;
      }
      if (!(err instanceof ImagePullError)) throw err;
      this.pull.next(bkey);
      this.pullFailures.set(bkey, { at: Date.now() });
      waiting.set(c.name, { reason: err.reason, message: err.message });
      this.d.events.event(pod, "Warning", "Failed", err.message);
      this.d.events.event(pod, "Warning", "Failed", "Error: ErrImagePull");
      this.d.requeue(objectKey(pod), this.pull.current(bkey) + 50);
      return false;
    }
  }

  private readonly pullFailures = new Map<string, { at: number }>();

  private async report(pod: Pod, observed: ObservedPod, waiting: Map<string, Waiting>, signal: AbortSignal): Promise<void> {
    const status = computeStatus({ pod, observed, waiting, probes: this.d.probes, nodeIp: this.d.node.nodeIp, now: this.now() });
    await this.d.status.set(pod, status, signal);
  }

  /** The pod was deleted in the API: stop it within its grace period, remove it, then delete the object. */
  async terminate(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? "";
    this.d.probes.removePod(objectKey(pod));
    await killAndRemovePod(this.d.rt, this.d.node, uid, {
      graceSeconds: graceSeconds(pod),
      onKill: (name) => this.killing(pod, name, ""),
      preStop: (name, id, grace) => this.preStop(pod, this.specOf(pod, name), id, grace, this.podIp(pod, undefined)),
    });
    await removePodDir(this.d.node, uid);
    this.forget(uid);
    await this.d.api.deleteNow(pod.metadata?.namespace || "default", pod.metadata?.name ?? "", uid);
  }

  /** Forgets a pod's in-memory state (back-off, waiting reasons, posted status). */
  forget(uid: string): void {
    this.d.probes.removePodUid(uid);
    this.waiting.delete(uid);
    this.crash.forgetPrefix(`${uid}/`);
    this.pull.forgetPrefix(`${uid}/`);
    for (const k of [...this.pullFailures.keys()]) if (k.startsWith(`${uid}/`)) this.pullFailures.delete(k);
    this.d.status.forget(uid);
  }
}
