// Which ConfigMaps and Secrets a pod refers to (Kubernetes' podutil.VisitPodSecretNames and
// VisitPodConfigmapNames): env valueFrom and envFrom of every container and init container, the
// configMap, secret and projected volumes, and imagePullSecrets. The API server's node authorizer
// lets a node read exactly these for the pods bound to it.
import type { Container, PodSpec } from "../../gen/mk/v1/core.js";

export interface PodReferences {
  configMaps: Set<string>;
  secrets: Set<string>;
}

function visitContainer(c: Readonly<Container>, refs: PodReferences): void {
  for (const e of c.env) {
    if (e.valueFrom?.configMapKeyRef?.name) refs.configMaps.add(e.valueFrom.configMapKeyRef.name);
    if (e.valueFrom?.secretKeyRef?.name) refs.secrets.add(e.valueFrom.secretKeyRef.name);
  }
  for (const f of c.envFrom) {
    if (f.configMapRef?.name) refs.configMaps.add(f.configMapRef.name);
    if (f.secretRef?.name) refs.secrets.add(f.secretRef.name);
  }
}

/** The names of the ConfigMaps and Secrets (in the pod's namespace) the pod spec refers to. */
export function podReferences(spec: Readonly<PodSpec> | undefined): PodReferences {
  const refs: PodReferences = { configMaps: new Set(), secrets: new Set() };
  if (!spec) return refs;
  for (const c of spec.containers) visitContainer(c, refs);
  for (const c of spec.initContainers) visitContainer(c, refs);
  for (const v of spec.volumes) {
    if (v.configMap?.name) refs.configMaps.add(v.configMap.name);
    if (v.secret?.secretName) refs.secrets.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) refs.configMaps.add(s.configMap.name);
      if (s.secret?.name) refs.secrets.add(s.secret.name);
    }
  }
  for (const s of spec.imagePullSecrets) if (s.name) refs.secrets.add(s.name);
  return refs;
}
