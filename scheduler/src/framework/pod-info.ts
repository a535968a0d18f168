// What the pipeline needs to know about a pod, computed once per scheduling attempt: its summed
// requests, host ports and owner. Objects from the informer are read-only; PodInfo never changes them.
import { type DeepReadonly, objectKey } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import { cpuMillis, memoryBytes } from "@mk/proto";

/**
 * Requests counted for scoring when a container asks for nothing, as kube-scheduler's
 * DefaultMilliCPURequest/DefaultMemoryRequest: without them, ten request-less pods would look free.
 */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface Resources {
  /** Millicores. */
  readonly cpu: number;
  /** Bytes. */
  readonly memory: number;
}

export interface HostPort {
  readonly protocol: string;
  /** "0.0.0.0" when the port binds every address. */
  readonly ip: string;
  readonly port: number;
}

export interface PodInfo {
  /** `namespace/name`. */
  readonly key: string;
  readonly uid: string;
  readonly pod: DeepReadonly<Pod>;
  /** Sum of the containers' requests (max'd with init containers, as Kubernetes). */
  readonly requests: Resources;
  /** Same, with request-less containers counted at the defaults: what the scores use. */
  readonly nonZeroRequests: Resources;
  readonly hostPorts: readonly HostPort[];
  /** uid of the controlling owner (e.g. the ReplicaSet), "" for a bare pod. */
  readonly ownerUid: string;
  readonly priority: number;
}

function parseOr0(fn: (s: string) => number, s: string | undefined): number {
  if (s === undefined || s === "") return 0;
  try {
    return fn(s);
  } catch {
    // The API server validates quantities; a malformed one counts as no request rather than crashing the loop.
    return 0;
  }
}

/** Builds the PodInfo of a pod; pure and cheap (one pass over the containers). */
export function podInfoOf(pod: DeepReadonly<Pod>): PodInfo {
  let cpu = 0;
  let memory = 0;
  let nzCpu = 0;
  let nzMemory = 0;
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    const req = c.resources?.requests ?? {};
    const ccpu = parseOr0(cpuMillis, req.cpu);
    const cmem = parseOr0(memoryBytes, req.memory);
    cpu += ccpu;
    memory += cmem;
    nzCpu += req.cpu === undefined ? DEFAULT_MILLI_CPU_REQUEST : ccpu;
    nzMemory += req.memory === undefined ? DEFAULT_MEMORY_REQUEST : cmem;
    for (const p of c.ports) {
      if (p.hostPort > 0) hostPorts.push({ protocol: p.protocol || "TCP", ip: p.hostIp || "0.0.0.0", port: p.hostPort });
    }
  }
  // Init containers run one at a time before the others: the pod needs the larger of the two.
  for (const c of pod.spec?.initContainers ?? []) {
    const req = c.resources?.requests ?? {};
    cpu = Math.max(cpu, parseOr0(cpuMillis, req.cpu));
    memory = Math.max(memory, parseOr0(memoryBytes, req.memory));
  }
  const m = pod.metadata;
  const owner = m?.ownerReferences.find((o) => o.controller) ?? m?.ownerReferences[0];
  return {
    key: objectKey(pod),
    uid: m?.uid ?? "",
    pod,
    requests: { cpu, memory },
    nonZeroRequests: { cpu: nzCpu, memory: nzMemory },
    hostPorts,
    ownerUid: owner?.uid ?? "",
    priority: pod.spec?.priority ?? 0,
  };
}
