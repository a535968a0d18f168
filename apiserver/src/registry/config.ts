// ConfigMap and Secret: validation from @mk/proto's config semantics (keys, the 1 MiB limit, the
// Secret types' required keys), Secret stringData folded into data, and `immutable`.
import { type ConfigMap, type ConfigViolation, configMapViolations, foldStringData, type Secret, SECRET_TYPE_OPAQUE, secretViolations } from "@mk/proto";
import type { Strategy } from "./strategy.js";
import { deepEqual, type Errors, forbidden, immutable, show } from "./validation.js";

function fieldErrors(vs: ConfigViolation[]): Errors {
  return vs.map((v) => (v.value === undefined ? { field: v.field, type: v.type, detail: v.detail } : { field: v.field, type: v.type, detail: v.detail, value: show(v.value) }));
}

const IMMUTABLE_SET = "field is immutable when `immutable` is set";

/** An object once immutable keeps its data and stays immutable (Kubernetes' ValidateConfigMapUpdate). */
function immutableErrors(fields: [string, unknown, unknown][], next: boolean | undefined, old: boolean | undefined): Errors {
  if (old !== true) return [];
  const errs: Errors = [];
  if (next !== true) errs.push(forbidden("immutable", IMMUTABLE_SET));
  for (const [field, a, b] of fields) if (!deepEqual(a, b)) errs.push(forbidden(field, IMMUTABLE_SET));
  return errs;
}

export const configMapStrategy: Strategy<"ConfigMap"> = {
  kind: "ConfigMap",
  nameRule: "subdomain",
  hasStatus: false,
  defaults() {},
  prepareForCreate() {},
  validate(cm: ConfigMap) {
    return fieldErrors(configMapViolations(cm));
  },
  validateUpdate(cm: ConfigMap, old: ConfigMap) {
    return immutableErrors(
      [
        ["data", cm.data, old.data],
        ["binaryData", cm.binaryData, old.binaryData],
      ],
      cm.immutable,
      old.immutable,
    );
  },
};

export const secretStrategy: Strategy<"Secret"> = {
  kind: "Secret",
  nameRule: "subdomain",
  hasStatus: false,
  defaults(s: Secret) {
    // stringData is write-only: merged into data here, before validation, and never stored.
    foldStringData(s);
    s.type ||= SECRET_TYPE_OPAQUE;
  },
  prepareForCreate() {},
  validate(s: Secret) {
    return fieldErrors(secretViolations(s));
  },
  validateUpdate(s: Secret, old: Secret) {
    const errs = immutableErrors([["data", s.data, old.data]], s.immutable, old.immutable);
    if (s.type !== old.type) errs.push(immutable("type", s.type));
    return errs;
  },
};
