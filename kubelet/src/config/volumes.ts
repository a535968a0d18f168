// configMap and secret volumes: the object's keys projected to files (all keys at their own names,
// or only `items`, each at its path), with defaultMode or the item's mode, written atomically into
// the pod's directory on the host, which the containers bind read-only. Written before the sandbox
// starts and again on every pod sync, so a changed object reaches running containers within the
// resync period. A missing object or key that is not optional is a CreateContainerConfigError
// naming it; an optional missing object gives an empty directory, as in Kubernetes.
import { rm } from "node:fs/promises";
import { configPayload, type KeyToPath, type Pod, type Volume } from "@mk/proto";
import { configVolumeDir, podDir } from "../runtime/names.js";
import { type NodeSettings, PodConfigError, podIdentity, rootDirOf } from "../runtime/pod-spec.js";
import type { ConfigReader } from "./api.js";
import { type Payload, payloadPathError, writeAtomically } from "./atomic-writer.js";

/** Kubernetes' default mode of configMap and secret volume files. */
export const DEFAULT_FILE_MODE = 0o644;

interface Source {
  kind: "configMap" | "secret";
  /** "configmap" or "secret", as Kubernetes' messages name them. */
  noun: string;
  object: string;
  items: readonly KeyToPath[];
  defaultMode: number | undefined;
  optional: boolean | undefined;
}

function sourceOf(v: Volume): Source | undefined {
  if (v.configMap) return { kind: "configMap", noun: "configmap", object: v.configMap.name, items: v.configMap.items, defaultMode: v.configMap.defaultMode, optional: v.configMap.optional };
  if (v.secret) return { kind: "secret", noun: "secret", object: v.secret.secretName, items: v.secret.items, defaultMode: v.secret.defaultMode, optional: v.secret.optional };
  return undefined;
}

/** The files of one volume, or a PodConfigError naming what is missing (never a value). */
export async function volumePayload(v: Volume, src: Source, r: ConfigReader): Promise<Payload> {
  const obj = src.kind === "configMap" ? await r.configMap(src.object) : await r.secret(src.object);
  const out: Payload = new Map();
  if (!obj) {
    if (src.optional === true) return out;
    throw new PodConfigError(`MountVolume.SetUp failed for volume "${v.name}" : ${src.noun} "${src.object}" not found`);
  }
  const data = configPayload(obj);
  const mode = src.defaultMode ?? DEFAULT_FILE_MODE;
  if (src.items.length === 0) {
    for (const [k, value] of data) out.set(k, { data: value, mode });
    return out;
  }
  for (const item of src.items) {
    const value = data.get(item.key);
    if (value === undefined) {
      if (src.optional === true) continue;
      const what = src.kind === "configMap" ? "configmap references non-existent config key" : "references non-existent secret key";
      throw new PodConfigError(`MountVolume.SetUp failed for volume "${v.name}" : ${what}: ${item.key}`);
    }
    const bad = payloadPathError(item.path);
    if (bad) throw new PodConfigError(`volume "${v.name}": items path ${JSON.stringify(item.path)} ${bad}`);
    out.set(item.path, { data: value, mode: item.mode ?? mode });
  }
  return out;
}

/**
 * Writes every configMap and secret volume of the pod; returns the names of the volumes whose files
 * changed. Throws the first PodConfigError.
 */
export async function writeConfigVolumes(pod: Pod, node: NodeSettings, r: ConfigReader): Promise<string[]> {
  const uid = podIdentity(pod).uid;
  const changed: string[] = [];
  for (const v of pod.spec?.volumes ?? []) {
    const src = sourceOf(v);
    if (!src) continue;
    const payload = await volumePayload(v, src, r);
    if (await writeAtomically(configVolumeDir(rootDirOf(node), uid, src.kind, v.name), payload)) changed.push(v.name);
  }
  return changed;
}

export function hasConfigVolumes(pod: Pod): boolean {
  return (pod.spec?.volumes ?? []).some((v) => v.configMap || v.secret);
}

/** Removes a pod's directory (its configMap and secret volumes); a missing one is fine. */
export async function removePodDir(node: NodeSettings, podUid: string): Promise<void> {
  if (!podUid) return;
  await rm(podDir(rootDirOf(node), podUid), { recursive: true, force: true });
}
