// The pod-template hash that names a Deployment's ReplicaSets (`web-7d9f8c6b5`), as Kubernetes'
// controller.ComputeHash: FNV-32a over a stable encoding of the template, then the collision count
// (4 bytes, little endian) when there is one, printed in decimal and safe-encoded so that the result
// has no vowels (no words) and no ambiguous characters.
import { PodTemplateSpec } from "../../gen/mk/v1/core.js";
import type { DeepReadonly } from "../readonly.js";

const FNV32_OFFSET = 0x811c9dc5;
const FNV32_PRIME = 0x01000193;

export function fnv32a(bytes: Uint8Array, seed = FNV32_OFFSET): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV32_PRIME) >>> 0;
  }
  return h >>> 0;
}

function isEmptyObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v as Record<string, unknown>).every((x) => x === undefined || isEmptyObject(x));
}

/**
 * JSON with object keys sorted at every level: equal templates give equal bytes. An empty object is
 * left out as if absent: `resources: {}` (which Kubernetes' clients always send, as kubectl's
 * `rollout undo` does with an old ReplicaSet's template) is the same template as no resources.
 */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && !isEmptyObject(v))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The template's canonical form: ts-proto's JSON (default values left out), keys sorted. */
export function canonicalTemplate(t: DeepReadonly<PodTemplateSpec> | undefined): string {
  // toJSON only reads: the cast lets a read-only cached template through.
  return stableStringify(PodTemplateSpec.toJSON((t ?? PodTemplateSpec.fromPartial({})) as PodTemplateSpec));
}

// Kubernetes' rand.SafeEncodeString alphabet: no vowels, no 0/1/3 (look like o/l/e).
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

export function safeEncodeString(s: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) out += ALPHANUMS[s.charCodeAt(i) % ALPHANUMS.length];
  return out;
}

/** The value of the pod-template-hash label for a template (and the Deployment's collisionCount). */
export function podTemplateHash(template: DeepReadonly<PodTemplateSpec> | undefined, collisionCount?: number): string {
  const enc = new TextEncoder();
  let h = fnv32a(enc.encode(canonicalTemplate(template)));
  if (collisionCount !== undefined) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncodeString(String(h));
}
