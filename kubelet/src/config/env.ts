// A container's environment as Kubernetes builds it (kubelet_pods.go makeEnvironmentVariables):
// envFrom first, in order, each key under its prefix; then env, in order, a later name winning;
// valueFrom reads a ConfigMap's or Secret's key. A missing object or key that is not optional
// stops the container with CreateContainerConfigError naming it; envFrom keys that are not valid
// variable names are skipped and reported. Errors name objects and keys, never a value.
// fieldRef and resourceFieldRef (the downward API) read the pod and the container's resources.
import { type Container, configPayload, isEnvVarName, type NodeAllocatable, type Pod, fieldPathValue, resourceFieldValue } from "@mk/proto";
import { PodConfigError } from "../runtime/pod-spec.js";
import type { ConfigReader } from "./api.js";

/** What the downward API reads: the pod, its addresses and the node's allocatable resources. */
export interface PodInfo {
  pod: Pod;
  /** undefined before the sandbox has its address: a container reading status.podIP waits for it. */
  podIP: string | undefined;
  hostIP: string;
  allocatable: NodeAllocatable;
}

function fieldEnv(info: PodInfo, fieldPath: string): string {
  if ((fieldPath === "status.podIP" || fieldPath === "status.podIPs") && info.podIP === undefined) {
    throw new PodConfigError(`${fieldPath}: the pod has no IP address yet`);
  }
  try {
    return fieldPathValue(info.pod, fieldPath, { podIP: info.podIP ?? "", hostIP: info.hostIP });
  } catch (err) {
    throw new PodConfigError(err instanceof Error ? err.message : String(err));
  }
}

/** A container's resource: its own, or the one named by containerName. */
export function resourceValue(info: PodInfo, self: Container | undefined, containerName: string, resource: string, divisor: string): string {
  const spec = info.pod.spec;
  const c = containerName ? [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])].find((x) => x.name === containerName) : self;
  if (!c) throw new PodConfigError(`resourceFieldRef: container "${containerName}" not found in the pod`);
  try {
    return resourceFieldValue(c, resource, divisor, info.allocatable);
  } catch (err) {
    throw new PodConfigError(`resourceFieldRef ${resource} of container "${c.name}": ${err instanceof Error ? err.message : String(err)}`);
  }
}

export interface ResolvedEnv {
  /** NAME=value, for the runtime. */
  env: string[];
  /** envFrom keys skipped as invalid variable names (Kubernetes' InvalidEnvironmentVariableNames event). */
  invalidNames: string[];
}

async function fromConfigMap(r: ConfigReader, name: string, optional: boolean | undefined): Promise<Map<string, Buffer> | undefined> {
  const cm = await r.configMap(name);
  if (!cm && optional !== true) throw new PodConfigError(`configmap "${name}" not found`);
  return cm && configPayload(cm);
}

async function fromSecret(r: ConfigReader, name: string, optional: boolean | undefined): Promise<Map<string, Buffer> | undefined> {
  const s = await r.secret(name);
  if (!s && optional !== true) throw new PodConfigError(`secret "${name}" not found`);
  return s && configPayload(s);
}

export async function resolveEnv(c: Container, r: ConfigReader, info: PodInfo): Promise<ResolvedEnv> {
  const vars = new Map<string, string>();
  const invalidNames: string[] = [];
  for (const f of c.envFrom) {
    const data = f.configMapRef
      ? await fromConfigMap(r, f.configMapRef.name, f.configMapRef.optional)
      : f.secretRef
        ? await fromSecret(r, f.secretRef.name, f.secretRef.optional)
        : undefined;
    for (const [k, v] of data ?? []) {
      const name = f.prefix + k;
      if (!isEnvVarName(name)) {
        invalidNames.push(name);
        continue;
      }
      vars.set(name, v.toString("utf8"));
    }
  }
  for (const e of c.env) {
    const cmRef = e.valueFrom?.configMapKeyRef;
    const secretRef = e.valueFrom?.secretKeyRef;
    const fieldRef = e.valueFrom?.fieldRef;
    const resRef = e.valueFrom?.resourceFieldRef;
    if (fieldRef) {
      vars.set(e.name, fieldEnv(info, fieldRef.fieldPath));
    } else if (resRef) {
      vars.set(e.name, resourceValue(info, c, resRef.containerName, resRef.resource, resRef.divisor));
    } else if (cmRef) {
      const data = await fromConfigMap(r, cmRef.name, cmRef.optional);
      const v = data?.get(cmRef.key);
      if (v === undefined) {
        if (data && cmRef.optional !== true) throw new PodConfigError(`couldn't find key ${cmRef.key} in ConfigMap ${r.namespace}/${cmRef.name}`);
        continue;
      }
      vars.set(e.name, v.toString("utf8"));
    } else if (secretRef) {
      const data = await fromSecret(r, secretRef.name, secretRef.optional);
      const v = data?.get(secretRef.key);
      if (v === undefined) {
        if (data && secretRef.optional !== true) throw new PodConfigError(`couldn't find key ${secretRef.key} in Secret ${r.namespace}/${secretRef.name}`);
        continue;
      }
      vars.set(e.name, v.toString("utf8"));
    } else {
      vars.set(e.name, e.value);
    }
  }
  return { env: [...vars].map(([k, v]) => `${k}=${v}`), invalidNames };
}
