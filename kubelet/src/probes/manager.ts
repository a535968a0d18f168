// Probe workers, one per running container and probe kind, as Kubernetes' prober manager:
//   startup   — until it succeeds, the container is not started and the others do not run; failing
//               failureThreshold times in a row kills the container (restartPolicy decides the rest);
//   liveness  — failing failureThreshold times in a row marks the container for a restart;
//   readiness — the container is ready after successThreshold successes, unready after
//               failureThreshold failures; it starts unready.
// A change of any result asks the pod's sync to run again (onChange); the sync reads the results.
import type { Container, Pod, Probe } from "@mk/proto";
import type { Logger } from "pino";
import type { ContainerRuntime } from "../runtime/runtime.js";
import { probeTiming, runProbe } from "./probe.js";

export type ProbeKind = "startup" | "liveness" | "readiness";

export interface ProbeEvents {
  /** The pod's results changed: sync it. */
  onChange(podKey: string): void;
  /** A probe failed (Unhealthy event): "Liveness probe failed: …". */
  onFailure(pod: Pod, container: string, kind: ProbeKind, message: string): void;
}

interface Worker {
  abort: AbortController;
  kind: ProbeKind;
}

interface ContainerResults {
  started: boolean;
  ready: boolean;
  /** Set when liveness or startup failed past its threshold: the sync restarts the container. */
  unhealthy: ProbeKind | undefined;
  workers: Worker[];
}

const titles: Record<ProbeKind, string> = { startup: "Startup", liveness: "Liveness", readiness: "Readiness" };

export class ProbeManager {
  private readonly rt: ContainerRuntime;
  private readonly events: ProbeEvents;
  private readonly log: Logger;
  /** containerId → results and workers. */
  private readonly byContainer = new Map<string, ContainerResults>();
  /** containerId → the pod's key (namespace/name) and uid. */
  private readonly podOf = new Map<string, string>();
  private readonly uidOf = new Map<string, string>();

  constructor(rt: ContainerRuntime, events: ProbeEvents, log: Logger) {
    this.rt = rt;
    this.events = events;
    this.log = log;
  }

  ready(containerId: string): boolean {
    return this.byContainer.get(containerId)?.ready ?? true;
  }

  started(containerId: string): boolean {
    return this.byContainer.get(containerId)?.started ?? true;
  }

  /** "liveness" or "startup" when the container must be restarted for a failed probe. */
  unhealthy(containerId: string): ProbeKind | undefined {
    return this.byContainer.get(containerId)?.unhealthy;
  }

  /**
   * Makes the workers match the pod's running containers: starts them for new container ids and
   * stops those of containers that are gone. `running` maps container name → running container id.
   */
  update(pod: Pod, podKey: string, host: string, running: ReadonlyMap<string, string>): void {
    const keep = new Set(running.values());
    for (const [id, r] of this.byContainer) {
      if (r.workers.length > 0 && this.podOf.get(id) === podKey && !keep.has(id)) this.remove(id);
    }
    for (const c of pod.spec?.containers ?? []) {
      const id = running.get(c.name);
      if (!id || this.byContainer.has(id)) continue;
      if (!c.startupProbe && !c.livenessProbe && !c.readinessProbe) continue;
      const r: ContainerResults = { started: !c.startupProbe, ready: !c.readinessProbe, unhealthy: undefined, workers: [] };
      this.byContainer.set(id, r);
      this.podOf.set(id, podKey);
      this.uidOf.set(id, pod.metadata?.uid ?? "");
      for (const [kind, probe] of [
        ["startup", c.startupProbe],
        ["liveness", c.livenessProbe],
        ["readiness", c.readinessProbe],
      ] as const) {
        if (!probe) continue;
        const w: Worker = { abort: new AbortController(), kind };
        r.workers.push(w);
        this.run(pod, podKey, c, id, host, kind, probe, r, w.abort.signal).catch((err: unknown) => {
          this.log.error({ err, pod: podKey, container: c.name, probe: kind }, "probe worker failed");
        });
      }
    }
  }

  /** Stops the pod's workers (the pod is going). */
  removePod(podKey: string): void {
    for (const [id, key] of this.podOf) if (key === podKey) this.remove(id);
  }

  /** Stops the workers of the pod with this uid (its containers were removed). */
  removePodUid(uid: string): void {
    for (const [id, u] of this.uidOf) if (u === uid) this.remove(id);
  }

  private remove(id: string): void {
    const r = this.byContainer.get(id);
    for (const w of r?.workers ?? []) w.abort.abort();
    this.byContainer.delete(id);
    this.podOf.delete(id);
    this.uidOf.delete(id);
  }

  stop(): void {
    for (const id of [...this.byContainer.keys()]) this.remove(id);
  }

  private async run(
    pod: Pod,
    podKey: string,
    c: Container,
    id: string,
    host: string,
    kind: ProbeKind,
    probe: Probe,
    r: ContainerResults,
    signal: AbortSignal,
  ): Promise<void> {
    const t = probeTiming(probe);
    const sleep = (ms: number) =>
      new Promise<boolean>((resolve) => {
        if (signal.aborted) return resolve(false);
        const timer = setTimeout(() => {
          signal.removeEventListener("abort", onAbort);
          resolve(true);
        }, ms);
        const onAbort = () => {
          clearTimeout(timer);
          resolve(false);
        };
        signal.addEventListener("abort", onAbort, { once: true });
      });
    if (!(await sleep(t.initialDelayMs))) return;
    let successes = 0;
    let failures = 0;
    for (;;) {
      // Liveness and readiness wait for the startup probe.
      if (kind === "startup" || r.started) {
        const res = await runProbe(probe, { rt: this.rt, containerId: id, container: c, host });
        if (signal.aborted) return;
        if (res.ok) {
          successes++;
          failures = 0;
        } else {
          failures++;
          successes = 0;
          this.events.onFailure(pod, c.name, kind, `${titles[kind]} probe failed: ${res.message}`);
        }
        if (this.apply(kind, r, successes, failures, t)) this.events.onChange(podKey);
        // A startup probe is done once it succeeded; a failed liveness/startup waits for the restart.
        if ((kind === "startup" && r.started) || r.unhealthy) return;
      }
      if (!(await sleep(t.periodMs))) return;
    }
  }

  /** Applies the thresholds; true when a result changed. */
  private apply(kind: ProbeKind, r: ContainerResults, successes: number, failures: number, t: ReturnType<typeof probeTiming>): boolean {
    switch (kind) {
      case "startup":
        if (successes >= 1 && !r.started) {
          r.started = true;
          return true;
        }
        if (failures >= t.failureThreshold && !r.unhealthy) {
          r.unhealthy = "startup";
          return true;
        }
        return false;
      case "liveness":
        if (failures >= t.failureThreshold && !r.unhealthy) {
          r.unhealthy = "liveness";
          return true;
        }
        return false;
      case "readiness":
        if (!r.ready && successes >= t.successThreshold) {
          r.ready = true;
          return true;
        }
        if (r.ready && failures >= t.failureThreshold) {
          r.ready = false;
          return true;
        }
        return false;
    }
  }
}
