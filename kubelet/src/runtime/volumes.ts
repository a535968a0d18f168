// A pod's volumes on the node: emptyDir is a Docker volume labelled with the pod's uid and removed with
// the pod; a persistent claim is a Docker volume named for namespace and claim that outlives its
// pods; hostPath is a bind mount, its directory or file made first for the *OrCreate types.
import { mkdir, stat, writeFile } from "node:fs/promises";
import type { Pod } from "@mk/proto";
import { LABEL_CLAIM, LABEL_CLUSTER, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_VOLUME_KIND, type NodeScope, scopeLabels } from "./names.js";
import { type NodeSettings, PodConfigError, planVolume, podIdentity } from "./pod-spec.js";
import type { ContainerRuntime } from "./runtime.js";

export async function prepareVolumes(rt: ContainerRuntime, pod: Pod, scope: NodeSettings): Promise<void> {
  const id = podIdentity(pod);
  for (const v of pod.spec?.volumes ?? []) {
    const plan = planVolume(pod, v, scope);
    switch (plan.kind) {
      case "emptyDir":
        await rt.ensureVolume(
          plan.source,
          { [LABEL_POD_UID]: id.uid, [LABEL_POD_NAMESPACE]: id.namespace, ...scopeLabels(scope), [LABEL_VOLUME_KIND]: "emptyDir" },
          plan.memory ? { type: "tmpfs", device: "tmpfs" } : undefined,
        );
        break;
      case "claim":
        // Shared by the nodes of a cluster on one engine: labelled with the cluster, not a node.
        await rt.ensureVolume(plan.source, {
          [LABEL_POD_NAMESPACE]: id.namespace,
          [LABEL_CLAIM]: v.persistentVolumeClaim?.claimName ?? "",
          [LABEL_CLUSTER]: scope.clusterId,
          [LABEL_VOLUME_KIND]: "claim",
        });
        break;
      case "hostPath":
        await prepareHostPath(plan.name, plan.source, plan.hostPathType);
        break;
      case "configMap":
      case "secret":
      case "downwardApi":
      case "projected":
        // Written by the pod sync from the API (config/volumes.ts), before this.
        break;
    }
  }
}

async function prepareHostPath(volume: string, path: string, type: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  switch (type) {
    case "DirectoryOrCreate":
      if (!info) await mkdir(path, { recursive: true, mode: 0o755 });
      else if (!info.isDirectory()) throw new PodConfigError(`hostPath volume "${volume}": ${path} is not a directory`);
      return;
    case "FileOrCreate":
      if (!info) await writeFile(path, "", { mode: 0o644 });
      else if (!info.isFile()) throw new PodConfigError(`hostPath volume "${volume}": ${path} is not a file`);
      return;
    case "Directory":
      if (!info?.isDirectory()) throw new PodConfigError(`hostPath volume "${volume}": ${path} is not a directory`);
      return;
    case "File":
      if (!info?.isFile()) throw new PodConfigError(`hostPath volume "${volume}": ${path} is not a file`);
      return;
    default:
      // "": no check, as Kubernetes (Docker makes a missing directory for a bind mount).
      return;
  }
}

/** Removes the pod's emptyDir volumes (claims stay). */
export async function removePodVolumes(rt: ContainerRuntime, podUid: string, scope: NodeScope): Promise<void> {
  for (const v of await rt.listVolumes({ ...scopeLabels(scope), [LABEL_POD_UID]: podUid, [LABEL_VOLUME_KIND]: "emptyDir" })) {
    await rt.removeVolume(v.name);
  }
}
