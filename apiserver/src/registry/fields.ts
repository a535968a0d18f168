// Field selectors: `spec.nodeName=n1`, `metadata.name!=web`, with =, == and !=, comma-separated.
import type { AnyObject, Event, KindName, Pod } from "@mk/proto";
import { InvalidError } from "@mk/proto/client";

export interface FieldRequirement {
  field: string;
  equal: boolean;
  value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(obj: AnyObject): boolean;
}

type Getter = (obj: AnyObject) => string;

const COMMON: Record<string, Getter> = {
  "metadata.name": (o) => o.metadata?.name ?? "",
  "metadata.namespace": (o) => o.metadata?.namespace ?? "",
};

const BY_KIND: Partial<Record<KindName, Record<string, Getter>>> = {
  Pod: {
    "spec.nodeName": (o) => (o as Pod).spec?.nodeName ?? "",
    "status.phase": (o) => (o as Pod).status?.phase ?? "",
  },
  Event: {
    "involvedObject.kind": (o) => (o as Event).involvedObject?.kind ?? "",
    "involvedObject.name": (o) => (o as Event).involvedObject?.name ?? "",
    "involvedObject.namespace": (o) => (o as Event).involvedObject?.namespace ?? "",
    "involvedObject.uid": (o) => (o as Event).involvedObject?.uid ?? "",
    // kubectl events --for asks by apiVersion too; Kubernetes selects on these three as well.
    "involvedObject.apiVersion": (o) => (o as Event).involvedObject?.apiVersion ?? "",
    "involvedObject.resourceVersion": (o) => (o as Event).involvedObject?.resourceVersion ?? "",
    "involvedObject.fieldPath": (o) => (o as Event).involvedObject?.fieldPath ?? "",
    reason: (o) => (o as Event).reason,
    type: (o) => (o as Event).type,
  },
};

function badSelector(selector: string, detail: string): Error {
  return new InvalidError(`invalid field selector "${selector}": ${detail}`, [
    { field: "fieldSelector", type: "Invalid", value: JSON.stringify(selector), detail },
  ]);
}

/** Parses a field selector for a kind; an unknown field or bad term is an InvalidError naming it. */
export function parseFieldSelector(kind: KindName, selector: string): FieldSelector {
  const getters = { ...COMMON, ...BY_KIND[kind] };
  const reqs: (FieldRequirement & { get: Getter })[] = [];
  if (selector.trim() !== "") {
    for (const raw of selector.split(",")) {
      const term = raw.trim();
      const m = /^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!m) throw badSelector(selector, `invalid selector term "${term}": expected field=value, field==value or field!=value`);
      const [, field = "", op = "", value = ""] = m;
      const get = getters[field];
      if (!get) {
        throw badSelector(selector, `"${field}" is not a known field selector: only ${Object.keys(getters).map((k) => `"${k}"`).join(", ")}`);
      }
      // Kubernetes refuses an unescaped '=' in a value ("spec.nodeName=a=b"): the client meant something else.
      if (/(^|[^\\])=/.test(value)) throw badSelector(selector, `invalid selector term "${term}": unescaped = in the value`);
      reqs.push({ field, equal: op !== "!=", value: value.trim(), get });
    }
  }
  return {
    requirements: reqs.map(({ field, equal, value }) => ({ field, equal, value })),
    matches(obj) {
      for (const r of reqs) if ((r.get(obj) === r.value) !== r.equal) return false;
      return true;
    },
  };
}
