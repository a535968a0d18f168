// The volumes whose files the kubelet writes from the API: configMap and secret (the object's keys
// projected to files: all keys at their own names, or only `items`, each at its path), downwardAPI
// (the pod's own fields and its containers' resources) and projected (configMap, secret and
// downwardAPI sources in one directory), each with defaultMode or the item's mode, written
// atomically into the pod's directory on the host, which the containers bind read-only. Written
// before the sandbox starts and again on every pod sync, so a changed object, or a changed label or
// annotation of the pod, reaches running containers within the resync period. A missing object or
// key that is not optional is a CreateContainerConfigError naming it; an optional missing object
// gives no files, as in Kubernetes.
import { rm } from "node:fs/promises";
import { configPayload, type DownwardAPIVolumeFile, fieldPathValue, type KeyToPath, type Pod, type Volume } from "@mk/proto";
import { configVolumeDir, podDir, type WrittenVolumeKind } from "../runtime/names.js";
import { type NodeSettings, PodConfigError, podIdentity, rootDirOf } from "../runtime/pod-spec.js";
import type { ConfigReader } from "./api.js";
import { type Payload, payloadPathError, writeAtomically } from "./atomic-writer.js";
import { type PodInfo, resourceValue } from "./env.js";

/** Kubernetes' default mode of configMap, secret, downwardAPI and projected volume files. */
export const DEFAULT_FILE_MODE = 0o644;

interface KeySource {
  kind: "configMap" | "secret";
  object: string;
  items: readonly KeyToPath[];
  optional: boolean | undefined;
}

function checkedPath(volume: string, path: string): string {
  const bad = payloadPathError(path);
  if (bad) throw new PodConfigError(`volume "${volume}": items path ${JSON.stringify(path)} ${bad}`);
  return path;
}

/** A ConfigMap's or Secret's keys as files into `out`, or a PodConfigError naming what is missing (never a value). */
async function addKeys(volume: string, src: KeySource, mode: number, r: ConfigReader, out: Payload): Promise<void> {
  const obj = src.kind === "configMap" ? await r.configMap(src.object) : await r.secret(src.object);
  const noun = src.kind === "configMap" ? "configmap" : "secret";
  if (!obj) {
    if (src.optional === true) return;
    throw new PodConfigError(`MountVolume.SetUp failed for volume "${volume}" : ${noun} "${src.object}" not found`);
  }
  const data = configPayload(obj);
  if (src.items.length === 0) {
    for (const [k, value] of data) out.set(k, { data: value, mode });
    return;
  }
  for (const item of src.items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (src.optional === true) continue;
      const what = src.kind === "configMap" ? "configmap references non-existent config key" : "references non-existent secret key";
      throw new PodConfigError(`MountVolume.SetUp failed for volume "${volume}" : ${what}: ${item.key}`);
    }
    out.set(checkedPath(volume, item.path), { data: value, mode: item.mode ?? mode });
  }
}

/** The downward API's files into `out`: labels and annotations as Kubernetes formats them, one field a file. */
function addPodFields(volume: string, items: readonly DownwardAPIVolumeFile[], mode: number, info: PodInfo, out: Payload): void {
  for (const it of items) {
    let value: string;
    if (it.fieldRef) {
      try {
        value = fieldPathValue(info.pod, it.fieldRef.fieldPath, { podIP: info.podIP ?? "", hostIP: info.hostIP });
      } catch (err) {
        throw new PodConfigError(`MountVolume.SetUp failed for volume "${volume}" : ${err instanceof Error ? err.message : String(err)}`);
      }
    } else if (it.resourceFieldRef) {
      const ref = it.resourceFieldRef;
      value = resourceValue(info, undefined, ref.containerName, ref.resource, ref.divisor);
    } else {
      throw new PodConfigError(`volume "${volume}": item ${JSON.stringify(it.path)} has neither fieldRef nor resourceFieldRef`);
    }
    out.set(checkedPath(volume, it.path), { data: Buffer.from(value, "utf8"), mode: it.mode ?? mode });
  }
}

/** The kind of a volume the kubelet writes, or undefined for the others (emptyDir, hostPath, claims). */
export function writtenKind(v: Volume): WrittenVolumeKind | undefined {
  if (v.configMap) return "configMap";
  if (v.secret) return "secret";
  if (v.downwardApi) return "downwardApi";
  if (v.projected) return "projected";
  return undefined;
}

/** The files of one volume the kubelet writes, or a PodConfigError naming what is missing (never a value). */
export async function volumePayload(v: Volume, r: ConfigReader, info: PodInfo): Promise<Payload> {
  const out: Payload = new Map();
  if (v.configMap) {
    const src = v.configMap;
    await addKeys(v.name, { kind: "configMap", object: src.name, items: src.items, optional: src.optional }, src.defaultMode ?? DEFAULT_FILE_MODE, r, out);
  } else if (v.secret) {
    const src = v.secret;
    await addKeys(v.name, { kind: "secret", object: src.secretName, items: src.items, optional: src.optional }, src.defaultMode ?? DEFAULT_FILE_MODE, r, out);
  } else if (v.downwardApi) {
    addPodFields(v.name, v.downwardApi.items, v.downwardApi.defaultMode ?? DEFAULT_FILE_MODE, info, out);
  } else if (v.projected) {
    // The sources in order into one payload; the API server refused two items at one path.
    const mode = v.projected.defaultMode ?? DEFAULT_FILE_MODE;
    for (const s of v.projected.sources) {
      if (s.configMap) await addKeys(v.name, { kind: "configMap", object: s.configMap.name, items: s.configMap.items, optional: s.configMap.optional }, mode, r, out);
      if (s.secret) await addKeys(v.name, { kind: "secret", object: s.secret.name, items: s.secret.items, optional: s.secret.optional }, mode, r, out);
      if (s.downwardApi) addPodFields(v.name, s.downwardApi.items, mode, info, out);
    }
  }
  return out;
}

/**
 * Writes every configMap, secret, downwardAPI and projected volume of the pod; returns the names of
 * the volumes whose files changed. Throws the first PodConfigError.
 */
export async function writeConfigVolumes(pod: Pod, node: NodeSettings, r: ConfigReader, info: PodInfo): Promise<string[]> {
  const uid = podIdentity(pod).uid;
  const changed: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const kind = writtenKind(v);
    if (!kind) continue;
    const payload = await volumePayload(v, r, info);
    if (await writeAtomically(configVolumeDir(rootDirOf(node), uid, kind, v.name), payload)) changed.push(v.name);
  }
  return changed;
}

export function hasConfigVolumes(pod: Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => writtenKind(v) !== undefined);
}

/** Removes a pod's directory (the volumes the kubelet wrote); a missing one is fine. */
export async function removePodDir(node: NodeSettings, podUid: string): Promise<void> {
  if (!podUid) return;
  await rm(podDir(rootDirOf(node), podUid), { recursive: true, force: true });
}
