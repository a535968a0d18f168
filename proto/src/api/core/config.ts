// ConfigMap and Secret semantics shared by the API server (validation), mkctl (create secret,
// describe) and the kubelet (env names): key rules, the 1 MiB limit, the Secret types' required keys.
// Violations carry field paths and Kubernetes' wording, never a Secret's value.
import type { ConfigMap, Secret } from "../../gen/mk/v1/core.js";

/** A failing field, shaped as the client's FieldError (`type` is Kubernetes' error type). */
export interface ConfigViolation {
  field: string;
  type: "Invalid" | "Required" | "Too long" | "Forbidden";
  detail: string;
  /** The rejected value, only where it is never secret (a key, a type name). */
  value?: string;
}

/** Kubernetes' MaxSecretSize, which bounds ConfigMaps too: the sum of the values' sizes. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

export const SECRET_TYPE_OPAQUE = "Opaque";
export const SECRET_TYPE_TLS = "kubernetes.io/tls";
export const SECRET_TYPE_DOCKER_CONFIG_JSON = "kubernetes.io/dockerconfigjson";
export const SECRET_TYPE_DOCKERCFG = "kubernetes.io/dockercfg";
export const SECRET_TYPE_BASIC_AUTH = "kubernetes.io/basic-auth";
export const SECRET_TYPE_SSH_AUTH = "kubernetes.io/ssh-auth";
export const SECRET_TYPE_SERVICE_ACCOUNT_TOKEN = "kubernetes.io/service-account-token";
export const SECRET_TYPE_BOOTSTRAP_TOKEN = "bootstrap.kubernetes.io/token";

/** The keys each kubernetes.io type must carry (basic-auth: at least one of its two). */
export const SECRET_REQUIRED_KEYS: { readonly [type: string]: readonly string[] } = {
  [SECRET_TYPE_TLS]: ["tls.crt", "tls.key"],
  [SECRET_TYPE_DOCKER_CONFIG_JSON]: [".dockerconfigjson"],
  [SECRET_TYPE_DOCKERCFG]: [".dockercfg"],
  [SECRET_TYPE_SSH_AUTH]: ["ssh-privatekey"],
};

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const CONFIG_KEY_MSG =
  "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** Why a ConfigMap or Secret key is invalid (Kubernetes' IsConfigMapKey), or [] when it is fine. */
export function configKeyErrors(key: string): string[] {
  const out: string[] = [];
  if (key.length > 253) out.push("must be no more than 253 characters");
  if (!CONFIG_KEY.test(key)) out.push(CONFIG_KEY_MSG);
  if (key === ".") out.push("must not be '.'");
  else if (key === "..") out.push("must not be '..'");
  else if (key.startsWith("..")) out.push("must not start with '..'");
  return out;
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Whether a string may be an environment variable's name (Kubernetes' IsEnvVarName). */
export function isEnvVarName(name: string): boolean {
  return ENV_NAME.test(name);
}

function keyViolations(field: string, keys: Iterable<string>, out: ConfigViolation[]): void {
  for (const k of keys) for (const detail of configKeyErrors(k)) out.push({ field, type: "Invalid", value: k, detail });
}

function tooLong(field: string, total: number, out: ConfigViolation[]): void {
  if (total > MAX_CONFIG_BYTES) out.push({ field, type: "Too long", detail: `may not be more than ${MAX_CONFIG_BYTES} bytes (has ${total})` });
}

export function configMapViolations(cm: Readonly<ConfigMap>): ConfigViolation[] {
  const out: ConfigViolation[] = [];
  keyViolations("data", Object.keys(cm.data), out);
  keyViolations("binaryData", Object.keys(cm.binaryData), out);
  for (const k of Object.keys(cm.binaryData)) {
    if (Object.hasOwn(cm.data, k)) out.push({ field: "data", type: "Invalid", value: k, detail: "duplicate of key present in binaryData" });
  }
  let total = 0;
  for (const v of Object.values(cm.data)) total += Buffer.byteLength(v, "utf8");
  for (const v of Object.values(cm.binaryData)) total += v.length;
  tooLong("data", total, out);
  return out;
}

function isJson(b: Uint8Array): boolean {
  try {
    JSON.parse(Buffer.from(b).toString("utf8"));
    return true;
  } catch {
    // The parser's message quotes the text, a Secret's value: only "not JSON" may be told.
    return false;
  }
}

/** Every error of a Secret whose stringData is already folded into data (see foldStringData). */
export function secretViolations(s: Readonly<Secret>): ConfigViolation[] {
  const out: ConfigViolation[] = [];
  keyViolations("data", Object.keys(s.data), out);
  let total = 0;
  for (const v of Object.values(s.data)) total += v.length;
  tooLong("data", total, out);
  const type = s.type || SECRET_TYPE_OPAQUE;
  for (const k of SECRET_REQUIRED_KEYS[type] ?? []) {
    if (!Object.hasOwn(s.data, k)) out.push({ field: `data[${k}]`, type: "Required", detail: "" });
  }
  if (type === SECRET_TYPE_BASIC_AUTH && !Object.hasOwn(s.data, "username") && !Object.hasOwn(s.data, "password")) {
    out.push({ field: "data[username]", type: "Required", detail: "" }, { field: "data[password]", type: "Required", detail: "" });
  }
  for (const k of [".dockerconfigjson", ".dockercfg"]) {
    const v = s.data[k];
    const wanted = k === ".dockerconfigjson" ? SECRET_TYPE_DOCKER_CONFIG_JSON : SECRET_TYPE_DOCKERCFG;
    if (type === wanted && v && !isJson(v)) out.push({ field: `data[${k}]`, type: "Invalid", value: "<secret contents redacted>", detail: "must be valid JSON" });
  }
  if (type === SECRET_TYPE_SERVICE_ACCOUNT_TOKEN && !s.metadata?.annotations["kubernetes.io/service-account.name"]) {
    out.push({ field: "metadata.annotations[kubernetes.io/service-account.name]", type: "Required", detail: "" });
  }
  if (type.length > 253) out.push({ field: "type", type: "Too long", detail: "may not be more than 253 bytes" });
  return out;
}

/**
 * Kubernetes' stringData: merged into data (its keys win over data's), then dropped, so that it is
 * never stored nor shown. Changes the Secret in place.
 */
export function foldStringData(s: Secret): void {
  for (const [k, v] of Object.entries(s.stringData)) s.data[k] = Buffer.from(v, "utf8");
  s.stringData = {};
}

/** The keys of a ConfigMap (data and binaryData) or a Secret, with their values as bytes. */
export function configPayload(obj: Readonly<ConfigMap> | Readonly<Secret>): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  if ("binaryData" in obj) {
    for (const [k, v] of Object.entries(obj.data)) out.set(k, Buffer.from(v, "utf8"));
    for (const [k, v] of Object.entries(obj.binaryData)) out.set(k, Buffer.from(v));
  } else {
    for (const [k, v] of Object.entries(obj.data)) out.set(k, Buffer.from(v));
  }
  return out;
}
