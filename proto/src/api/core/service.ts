// Service semantics more than one component needs: the API server validates with them, the
// endpoint controller resolves ports with them, node proxies and DNS read the same answers.
import type { Pod } from "../../gen/mk/v1/core.js";
import type { ServicePort } from "../../gen/mk/v1/service.js";
import type { DeepReadonly } from "../readonly.js";

export const SERVICE_TYPES = ["ClusterIP", "NodePort"] as const;
export const SERVICE_PROTOCOLS = ["TCP", "UDP"] as const;
export const SESSION_AFFINITIES = ["None", "ClientIP"] as const;
/** spec.clusterIP of a headless Service: no virtual address, DNS answers with the pods' addresses. */
export const CLUSTER_IP_NONE = "None";
/** The label an EndpointSlice carries naming its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** The label naming the controller that manages an EndpointSlice. */
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
export const ENDPOINTSLICE_CONTROLLER = "endpointslice-controller.k8s.io";

/** An IANA service name, as a named port: at most 15 lower-case letters, digits and '-', with a letter. */
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?$/;

/** Why a targetPort is invalid, or undefined when it is a port number (1-65535) or a port name. */
export function targetPortError(targetPort: string): string | undefined {
  if (/^\d+$/.test(targetPort)) {
    const n = Number(targetPort);
    return n >= 1 && n <= 65535 ? undefined : "must be between 1 and 65535, inclusive";
  }
  if (!IANA_SVC_NAME.test(targetPort) || !/[a-z]/.test(targetPort) || targetPort.includes("--")) {
    return "must contain only lower-case alphanumeric characters or '-', at most 15 characters, at least one letter, and no '--'";
  }
  return undefined;
}

/**
 * The pod's port a Service port sends to: its targetPort when a number, else the number of the
 * pod's container port of that name and protocol. Undefined when no container has the name (the
 * pod is then left out of that port's endpoints, as in Kubernetes).
 */
export function resolveTargetPort(port: DeepReadonly<ServicePort>, pod: DeepReadonly<Pod>): number | undefined {
  const target = port.targetPort || String(port.port);
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol || "TCP";
  for (const c of pod.spec?.containers ?? []) {
    for (const cp of c.ports) {
      if (cp.name === target && (cp.protocol || "TCP") === protocol) return cp.containerPort;
    }
  }
  return undefined;
}
