// How a pod's containers are named and labelled in the runtime, so that a restarted kubelet finds
// what it started: names mk_<container>_<pod>_<namespace>_<uid8>_<attempt>, labels with the pod's
// identity. The sandbox (pause container) uses the container name "POD", as Kubernetes' dockershim did.

export const LABEL_POD_UID = "io.mk.pod.uid";
export const LABEL_POD_NAME = "io.mk.pod.name";
export const LABEL_POD_NAMESPACE = "io.mk.pod.namespace";
export const LABEL_CONTAINER_NAME = "io.mk.container.name";
export const LABEL_NODE_NAME = "io.mk.node.name";
/**
 * The cluster the kubelet belongs to (--cluster-id, by default its API server address): clusters
 * sharing one engine, even with the same node names, never see each other's containers.
 */
export const LABEL_CLUSTER = "io.mk.cluster";
/** 0 for the first instance, +1 for every restart: the restart count survives a kubelet restart. */
export const LABEL_ATTEMPT = "io.mk.container.attempt";
/** "sandbox" (pause) or "container". */
export const LABEL_TYPE = "io.mk.container.type";
/** A hash of the container's spec: a running container whose spec changed is replaced. */
export const LABEL_HASH = "io.mk.container.hash";
/** The pod's termination grace period, for stopping containers of pods already gone from the API. */
export const LABEL_GRACE = "io.mk.pod.termination-grace-period";
/** Volumes: which pod (emptyDir) or claim (persistent) a Docker volume belongs to. */
export const LABEL_VOLUME_KIND = "io.mk.volume.kind";
export const LABEL_CLAIM = "io.mk.volume.claim";

export const SANDBOX_NAME = "POD";

export interface PodIdentity {
  uid: string;
  name: string;
  namespace: string;
}

export function containerName(container: string, pod: PodIdentity, attempt: number): string {
  return `mk_${container}_${pod.name}_${pod.namespace}_${pod.uid.replace(/-/g, "").slice(0, 8)}_${attempt}`;
}

/** Whose containers these are: this node of this cluster. */
export interface NodeScope {
  nodeName: string;
  clusterId: string;
}

/**
 * The labels every container and emptyDir volume of this kubelet carries, and that every listing,
 * filter and event subscription of the kubelet includes: nothing outside them is ever touched.
 */
export function scopeLabels(scope: NodeScope): Record<string, string> {
  return { [LABEL_NODE_NAME]: scope.nodeName, [LABEL_CLUSTER]: scope.clusterId };
}

/** The default cluster id: the API server address as given, without scheme or trailing slash. */
export function clusterIdOf(server: string): string {
  return server
    .trim()
    .toLowerCase()
    .replace(/^(https?|grpcs?):\/\//, "")
    .replace(/\/+$/, "");
}

export function podLabels(pod: PodIdentity, scope: NodeScope): Record<string, string> {
  return {
    [LABEL_POD_UID]: pod.uid,
    [LABEL_POD_NAME]: pod.name,
    [LABEL_POD_NAMESPACE]: pod.namespace,
    ...scopeLabels(scope),
  };
}

/** The Docker volume behind a pod's emptyDir: removed with the pod. */
export function emptyDirVolumeName(podUid: string, volume: string): string {
  return `mk_${podUid}_${volume}`;
}

/** The Docker volume behind a persistent claim: one per namespace and claim, outlives its pods. */
export function claimVolumeName(namespace: string, claim: string): string {
  return `mk-pv_${namespace}_${claim}`;
}

/**
 * The kubelet's own directory on the host (Kubernetes' --root-dir), one per cluster and node: several
 * node agents of several clusters may share a host, and each removes only its own pods' directories.
 */
export function defaultRootDir(scope: NodeScope): string {
  return `/var/lib/mk/kubelet/${scope.clusterId.replace(/[^a-zA-Z0-9._-]/g, "_")}/${scope.nodeName}`;
}

/** The directory of a pod's files on the host (its configMap, secret, downwardAPI and projected volumes). */
export function podDir(rootDir: string, podUid: string): string {
  return `${rootDir}/pods/${podUid}`;
}

/** The pod's resolv.conf on the host (dns/pod-resolv.ts writes it), bound at /etc/resolv.conf. */
export function resolvConfPath(rootDir: string, podUid: string): string {
  return `${podDir(rootDir, podUid)}/resolv.conf`;
}

/** The volumes whose files the kubelet writes from the API, and the plugin directory Kubernetes names for each. */
export const WRITTEN_VOLUME_PLUGINS = { configMap: "configmap", secret: "secret", downwardApi: "downward-api", projected: "projected" } as const;
export type WrittenVolumeKind = keyof typeof WRITTEN_VOLUME_PLUGINS;

/** Where a configMap, secret, downwardAPI or projected volume's files live on the host, as Kubernetes lays them out. */
export function configVolumeDir(rootDir: string, podUid: string, kind: WrittenVolumeKind, volume: string): string {
  return `${podDir(rootDir, podUid)}/volumes/kubernetes.io~${WRITTEN_VOLUME_PLUGINS[kind]}/${volume}`;
}
