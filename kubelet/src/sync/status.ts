// The pod's status as Kubernetes computes it (kubelet_pods.go: getPhase, generateAPIPodStatus):
// container states from the runtime, waiting reasons from the last sync, readiness from the probes,
// phase from the container counts, and the four conditions. Timestamps of conditions move only when
// their status changes, so an unchanged pod yields an identical status and nothing is posted.
import { type ContainerState, type ContainerStatus, type Pod, type PodCondition, type PodStatus, restartPolicyOf } from "@mk/proto";
import type { ContainerDetails } from "../runtime/runtime.js";
import { type ObservedPod, attemptOf } from "./observe.js";

export interface Waiting {
  reason: string;
  message: string;
}

export interface ProbeView {
  /** Readiness of a running container (true when it has no readiness probe). */
  ready(containerId: string): boolean;
  /** Whether the startup probe has passed (true when there is none). */
  started(containerId: string): boolean;
}

export interface StatusInput {
  pod: Pod;
  observed: ObservedPod;
  /** Reasons from the last sync for containers that are not running: ErrImagePull, CrashLoopBackOff … */
  waiting: ReadonlyMap<string, Waiting>;
  probes: ProbeView;
  nodeIp: string;
  now: Date;
}

export const containerId = (id: string): string => `docker://${id}`;

/** RFC 3339 without fractions, as Kubernetes' metav1.Time. */
export function rfc3339(d: Date | string): string {
  const date = typeof d === "string" ? new Date(d) : d;
  return Number.isNaN(date.getTime()) ? "" : date.toISOString().replace(/\.\d+Z$/, "Z");
}

function terminated(c: ContainerDetails): ContainerState {
  let reason = c.exitCode === 0 ? "Completed" : "Error";
  if (c.oomKilled) reason = "OOMKilled";
  else if (c.state === "created") reason = "ContainerCannotRun";
  return {
    waiting: undefined,
    running: undefined,
    terminated: {
      exitCode: c.exitCode,
      signal: 0,
      reason,
      message: c.error,
      startedAt: rfc3339(c.startedAt),
      finishedAt: rfc3339(c.finishedAt),
      containerId: containerId(c.id),
    },
  };
}

function waitingState(reason: string, message: string): ContainerState {
  return { waiting: { reason, message }, running: undefined, terminated: undefined };
}

function containerStatus(input: StatusInput, name: string, image: string, notCreated = "ContainerCreating"): ContainerStatus {
  const instances = input.observed.containers.get(name) ?? [];
  const latest = instances[0];
  const waiting = input.waiting.get(name);
  const st: ContainerStatus = {
    name,
    state: undefined,
    lastState: undefined,
    ready: false,
    restartCount: latest ? attemptOf(latest) : 0,
    image,
    imageId: latest ? latest.imageId : "",
    containerId: latest ? containerId(latest.id) : "",
    started: false,
  };
  if (!latest) {
    st.state = waitingState(waiting?.reason ?? notCreated, waiting?.message ?? "");
    return st;
  }
  if (latest.running) {
    st.state = { waiting: undefined, running: { startedAt: rfc3339(latest.startedAt) }, terminated: undefined };
    st.started = input.probes.started(latest.id);
    st.ready = st.started && input.probes.ready(latest.id);
    const prev = instances[1];
    if (prev) st.lastState = terminated(prev);
    return st;
  }
  if (latest.state === "created" && !waiting) {
    // Made but not started yet (this sync starts it).
    st.state = waitingState("ContainerCreating", "");
    return st;
  }
  if (waiting) {
    // Dead and waiting to be restarted (CrashLoopBackOff) or to get its new image pulled.
    st.state = waitingState(waiting.reason, waiting.message);
    st.lastState = terminated(latest);
    return st;
  }
  st.state = terminated(latest);
  const prev = instances[1];
  if (prev) st.lastState = terminated(prev);
  return st;
}

/** Kubernetes' getPhase. */
export function podPhase(pod: Pod, statuses: ContainerStatus[]): string {
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of statuses) {
    if (s.state?.running) running++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  const policy = restartPolicyOf(pod.spec);
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (policy === "Always") return "Running";
    if (stopped === succeeded && statuses.every((s) => s.state?.terminated)) return "Succeeded";
    if (policy === "Never") return statuses.every((s) => s.state?.terminated) ? "Failed" : "Running";
    return "Running"; // OnFailure: the failed ones restart
  }
  return "Pending";
}

function condition(prev: PodCondition[], type: string, status: string, reason: string, message: string, now: Date): PodCondition {
  const old = prev.find((c) => c.type === type);
  return {
    type,
    status,
    lastProbeTime: "",
    lastTransitionTime: old && old.status === status ? old.lastTransitionTime : rfc3339(now),
    reason,
    message,
  };
}

function qosClass(pod: Pod): string {
  const cs = pod.spec?.containers ?? [];
  let any = false;
  let guaranteed = cs.length > 0;
  for (const c of cs) {
    const lim = c.resources?.limits ?? {};
    const req = c.resources?.requests ?? {};
    if (Object.keys(lim).length > 0 || Object.keys(req).length > 0) any = true;
    for (const r of ["cpu", "memory"]) {
      const l = lim[r];
      if (!l || (req[r] !== undefined && req[r] !== l)) guaranteed = false;
    }
  }
  if (!any) return "BestEffort";
  return guaranteed ? "Guaranteed" : "Burstable";
}

export function computeStatus(input: StatusInput): PodStatus {
  const { pod, now } = input;
  const prev = pod.status;
  // Init containers: done when terminated with 0; a completed one counts as ready, as in Kubernetes.
  const initStatuses = (pod.spec?.initContainers ?? []).map((c) => {
    const s = containerStatus(input, c.name, c.image, "PodInitializing");
    s.ready = s.state?.terminated?.exitCode === 0;
    return s;
  });
  const initPending = initStatuses.filter((s) => !s.ready).map((s) => s.name);
  const policy = restartPolicyOf(pod.spec);
  const initFailed = policy === "Never" && initStatuses.some((s) => s.state?.terminated && s.state.terminated.exitCode !== 0);
  const statuses = (pod.spec?.containers ?? []).map((c) => containerStatus(input, c.name, c.image, initPending.length > 0 ? "PodInitializing" : "ContainerCreating"));
  let phase = podPhase(pod, statuses);
  if (initFailed) phase = "Failed";
  else if (initPending.length > 0) phase = "Pending";
  if (prev && (prev.phase === "Succeeded" || prev.phase === "Failed")) phase = prev.phase;
  const terminal = phase === "Succeeded" || phase === "Failed";
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const conds = prev?.conditions ?? [];
  let readyStatus = unready.length === 0 ? "True" : "False";
  let readyReason = unready.length === 0 ? "" : "ContainersNotReady";
  let readyMessage = unready.length === 0 ? "" : `containers with unready status: [${unready.join(" ")}]`;
  if (terminal) {
    readyStatus = "False";
    readyReason = "PodCompleted";
    readyMessage = "";
  }
  const sandbox = input.observed.sandboxes[0];
  const podIp = pod.spec?.hostNetwork ? input.nodeIp : sandbox?.running ? sandbox.ipAddress : (prev?.podIp ?? "");
  return {
    phase,
    conditions: [
      condition(conds, "PodScheduled", "True", "", "", now),
      initPending.length === 0
        ? condition(conds, "Initialized", "True", "", "", now)
        : condition(conds, "Initialized", "False", "ContainersNotInitialized", `containers with incomplete status: [${initPending.join(" ")}]`, now),
      condition(conds, "ContainersReady", readyStatus, readyReason, readyMessage, now),
      condition(conds, "Ready", readyStatus, readyReason, readyMessage, now),
    ],
    message: "",
    reason: "",
    hostIp: input.nodeIp,
    podIp,
    podIps: podIp ? [{ ip: podIp }] : [],
    startTime: prev?.startTime || rfc3339(now),
    containerStatuses: statuses,
    initContainerStatuses: initStatuses,
    qosClass: qosClass(pod),
    nominatedNodeName: prev?.nominatedNodeName ?? "",
  };
}
