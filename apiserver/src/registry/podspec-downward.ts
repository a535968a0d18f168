// The downward API in a pod spec (Kubernetes' validateObjectFieldSelector and
// validateContainerResourceFieldSelector): env fieldRef / resourceFieldRef, the files of downwardAPI
// volumes and projections. Paths and divisors come from @mk/proto's tables, which the kubelet
// resolves with, so what passes here is what a node can serve.
import {
  CPU_DIVISORS,
  type DownwardAPIVolumeFile,
  ENV_FIELD_PATHS,
  isQuantity,
  isSupportedFieldPath,
  labelKeyError,
  MEMORY_DIVISORS,
  memoryBytes,
  cpuMillis,
  type ObjectFieldSelector,
  RESOURCE_FIELD_PATHS,
  type ResourceFieldSelector,
  splitSubscript,
  VOLUME_FIELD_PATHS,
} from "@mk/proto";
import { type Errors, invalid, notFound, required, unsupported } from "./validation.js";

/** fieldRef.apiVersion "v1" when unset, as Kubernetes defaults it. */
export function defaultFieldRef(ref: ObjectFieldSelector | undefined): void {
  if (ref && !ref.apiVersion) ref.apiVersion = "v1";
}

export function validateFieldRef(f: string, ref: ObjectFieldSelector, where: "env" | "volume", errs: Errors): void {
  if (!ref.apiVersion) errs.push(required(`${f}.apiVersion`));
  else if (ref.apiVersion !== "v1") errs.push(unsupported(`${f}.apiVersion`, ref.apiVersion, ["v1"]));
  const path = ref.fieldPath;
  if (!path) {
    errs.push(required(`${f}.fieldPath`));
    return;
  }
  const sub = splitSubscript(path);
  if (sub && isSupportedFieldPath(path, where)) {
    const e = labelKeyError(sub.key);
    if (e) errs.push(invalid(`${f}.fieldPath`, path, e));
    return;
  }
  if (!isSupportedFieldPath(path, where)) {
    const plain: readonly string[] = where === "env" ? ENV_FIELD_PATHS : VOLUME_FIELD_PATHS;
    errs.push(unsupported(`${f}.fieldPath`, path, [...plain, "metadata.labels['<KEY>']", "metadata.annotations['<KEY>']"]));
  }
}

function divisorAllowed(resource: string, divisor: string): boolean {
  if (!isQuantity(divisor)) return false;
  const list: readonly string[] = resource.endsWith(".cpu") ? CPU_DIVISORS : MEMORY_DIVISORS;
  // Compared by value, so "1000m" is the cpu divisor "1" and "1024" the memory divisor "1Ki".
  const value = resource.endsWith(".cpu") ? cpuMillis : memoryBytes;
  return list.some((d) => value(d) === value(divisor));
}

/**
 * `containers` are the pod's container names: a volume file must name one (required there), an env
 * var's may (its own container when empty).
 */
export function validateResourceFieldRef(f: string, ref: ResourceFieldSelector, where: "env" | "volume", containers: ReadonlySet<string>, errs: Errors): void {
  if (where === "volume" && !ref.containerName) errs.push(required(`${f}.containerName`));
  else if (ref.containerName && !containers.has(ref.containerName)) errs.push(notFound(`${f}.containerName`, ref.containerName));
  if (!ref.resource) {
    errs.push(required(`${f}.resource`));
    return;
  }
  if (!(RESOURCE_FIELD_PATHS as readonly string[]).includes(ref.resource)) {
    errs.push(unsupported(`${f}.resource`, ref.resource, RESOURCE_FIELD_PATHS));
    return;
  }
  if (ref.divisor && !divisorAllowed(ref.resource, ref.divisor)) {
    const list = ref.resource.endsWith(".cpu") ? CPU_DIVISORS : MEMORY_DIVISORS;
    const what = ref.resource.endsWith(".cpu") ? "cpu" : "memory";
    errs.push(invalid(`${f}.divisor`, ref.divisor, `only divisor's values ${list.join(", ")} are supported with the ${what} resource`));
  }
}

/** The files of a downwardAPI volume or projection; `paths` collects their paths across a volume. */
export function validateDownwardFiles(f: string, items: readonly DownwardAPIVolumeFile[], containers: ReadonlySet<string>, errs: Errors, validatePath: (field: string, path: string) => void): void {
  items.forEach((it, i) => {
    const itf = `${f}.items[${i}]`;
    validatePath(`${itf}.path`, it.path);
    if (it.mode !== undefined && (it.mode < 0 || it.mode > 0o777)) errs.push(invalid(`${itf}.mode`, it.mode, "must be a number between 0 and 0777 (octal), both inclusive"));
    const set = [it.fieldRef, it.resourceFieldRef].filter((x) => x !== undefined).length;
    if (set === 0) errs.push(required(itf, "one of `fieldRef` and `resourceFieldRef` must be specified"));
    if (set > 1) errs.push(invalid(itf, "", "fieldRef and resourceFieldRef can not be specified simultaneously"));
    if (it.fieldRef) validateFieldRef(`${itf}.fieldRef`, it.fieldRef, "volume", errs);
    if (it.resourceFieldRef) validateResourceFieldRef(`${itf}.resourceFieldRef`, it.resourceFieldRef, "volume", containers, errs);
  });
}
