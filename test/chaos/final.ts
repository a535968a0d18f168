// After the last fault: what the cluster must have come back to, checked on one snapshot of the API
// and of Docker (the run polls until it holds, and reports how long that took):
// - every Deployment's rollout is complete: its generation observed, status.replicas,
//   updatedReplicas, readyReplicas and availableReplicas all equal spec.replicas;
// - its pods (by its selector labels, terminating ones included) number spec.replicas, each bound,
//   with the Deployment's image;
// - Docker runs exactly one app container per pod (io.mk.container.type "container"), of the pod's
//   uid, on the pod's node;
// - nothing is orphaned: every container, volume and network of the cluster (io.mk.cluster) that
//   names a pod (io.mk.pod.uid) names one the API has, and every one that names a node
//   (io.mk.node.name) names a Node the API has;
// - no pod is bound to a Node that does not exist.
import type { Deployment, Pod } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";
import { LABEL_NODE, LABEL_POD_UID, LABEL_TYPE } from "./engines.js";

export interface DockerThing {
  /** A container id, or a volume's or network's name. */
  id: string;
  labels: Readonly<Record<string, string>>;
  /** Containers: whether it runs. */
  running?: boolean;
}

export interface Snapshot {
  deployments: readonly DeepReadonly<Deployment>[];
  pods: readonly DeepReadonly<Pod>[];
  nodes: readonly string[];
  containers: readonly DockerThing[];
  volumes: readonly DockerThing[];
  networks: readonly DockerThing[];
}

const matches = (labels: Readonly<Record<string, string>>, sel: Readonly<Record<string, string>>) =>
  Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => labels[k] === v);

/** What is still wrong; empty when the cluster has come back. */
export function finalProblems(s: Snapshot): string[] {
  const problems: string[] = [];
  const uids = new Set(s.pods.map((p) => p.metadata?.uid ?? ""));
  const nodes = new Set(s.nodes);
  const appContainers = s.containers.filter((c) => c.running && c.labels[LABEL_TYPE] === "container");
  for (const d of s.deployments) {
    const name = d.metadata?.name ?? "";
    const want = d.spec?.replicas ?? 1;
    const st = d.status;
    const gen = d.metadata?.generation ?? 0;
    if ((st?.observedGeneration ?? 0) < gen) problems.push(`deployment ${name}: generation ${gen} observed ${st?.observedGeneration ?? 0}`);
    const counts = [st?.replicas, st?.updatedReplicas, st?.readyReplicas, st?.availableReplicas];
    if (counts.some((n) => n !== want)) problems.push(`deployment ${name}: want ${want}, status replicas/updated/ready/available ${counts.join("/")}`);
    const image = d.spec?.template?.spec?.containers[0]?.image ?? "";
    const pods = s.pods.filter((p) => matches(p.metadata?.labels ?? {}, d.spec?.selector?.matchLabels ?? {}));
    if (pods.length !== want) problems.push(`deployment ${name}: ${pods.length} pods for ${want} replicas`);
    for (const p of pods) {
      const pn = p.metadata?.name ?? "";
      if (p.metadata?.deletionTimestamp) problems.push(`pod ${pn} is terminating`);
      if (!p.spec?.nodeName) problems.push(`pod ${pn} is not bound`);
      if (p.spec?.containers[0]?.image !== image) problems.push(`pod ${pn} has image ${p.spec?.containers[0]?.image}, not ${image}`);
      const mine = appContainers.filter((c) => c.labels[LABEL_POD_UID] === p.metadata?.uid);
      if (mine.length !== 1) problems.push(`pod ${pn}: ${mine.length} running app containers`);
      for (const c of mine) if (c.labels[LABEL_NODE] !== p.spec?.nodeName) problems.push(`pod ${pn} is bound to ${p.spec?.nodeName} but runs on ${c.labels[LABEL_NODE]}`);
    }
  }
  for (const p of s.pods) {
    const node = p.spec?.nodeName;
    if (node && !nodes.has(node)) problems.push(`pod ${p.metadata?.name} is bound to node ${node}, which does not exist`);
  }
  const orphans = (what: string, things: readonly DockerThing[]) => {
    for (const t of things) {
      const uid = t.labels[LABEL_POD_UID];
      const node = t.labels[LABEL_NODE];
      if (uid !== undefined && !uids.has(uid)) problems.push(`orphan ${what} ${t.id.slice(0, 24)} of pod ${uid}${t.running === false ? " (exited)" : ""}`);
      else if (node !== undefined && !nodes.has(node)) problems.push(`orphan ${what} ${t.id.slice(0, 24)} of node ${node}`);
    }
  };
  orphans("container", s.containers);
  orphans("volume", s.volumes);
  orphans("network", s.networks);
  return problems;
}
