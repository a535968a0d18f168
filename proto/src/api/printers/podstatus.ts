// A pod's READY, STATUS and RESTARTS columns, computed as kubectl's printPod does.
import type { ContainerStatus, Pod } from "../../gen/mk/v1/core.js";
import { since } from "./age.js";

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function laterOf(a: string, b: string | undefined): string {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function terminalPhase(phase: string): boolean {
  return phase === "Succeeded" || phase === "Failed";
}

export function podSummary(pod: Pod, now: number): PodSummary {
  const spec = pod.spec;
  const st = pod.status;
  const total = spec?.containers.length ?? 0;
  let readyCount = 0;
  let restarts = 0;
  let lastRestart = "";
  const phase = st?.phase ?? "";
  let reason = st?.reason || phase;

  let initializing = false;
  const inits: ContainerStatus[] = st?.initContainerStatuses ?? [];
  for (let i = 0; i < inits.length; i++) {
    const c = inits[i]!;
    restarts += c.restartCount;
    lastRestart = laterOf(lastRestart, c.lastState?.terminated?.finishedAt);
    const term = c.state?.terminated;
    const wait = c.state?.waiting;
    if (term && term.exitCode === 0) continue;
    if (term) {
      reason = term.reason
        ? `Init:${term.reason}`
        : term.signal !== 0
          ? `Init:Signal:${term.signal}`
          : `Init:ExitCode:${term.exitCode}`;
    } else if (wait?.reason && wait.reason !== "PodInitializing") {
      reason = `Init:${wait.reason}`;
    } else {
      reason = `Init:${i}/${spec?.initContainers.length ?? inits.length}`;
    }
    initializing = true;
    break;
  }

  const initialized = st?.conditions.some((c) => c.type === "Initialized" && c.status === "True") ?? false;
  if (!initializing || initialized) {
    restarts = 0;
    lastRestart = "";
    let hasRunning = false;
    const cs = st?.containerStatuses ?? [];
    // Backwards, as kubectl: the first container's state wins the STATUS column.
    for (let i = cs.length - 1; i >= 0; i--) {
      const c = cs[i]!;
      restarts += c.restartCount;
      lastRestart = laterOf(lastRestart, c.lastState?.terminated?.finishedAt);
      const wait = c.state?.waiting;
      const term = c.state?.terminated;
      if (wait?.reason) reason = wait.reason;
      else if (term?.reason) reason = term.reason;
      else if (term) reason = term.signal !== 0 ? `Signal:${term.signal}` : `ExitCode:${term.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const podReady = st?.conditions.some((c) => c.type === "Ready" && c.status === "True") ?? false;
      reason = podReady ? "Running" : "NotReady";
    }
  }

  if (pod.metadata?.deletionTimestamp && st?.reason === "NodeLost") reason = "Unknown";
  else if (pod.metadata?.deletionTimestamp && !terminalPhase(phase)) reason = "Terminating";

  const restartsStr = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartsStr };
}
