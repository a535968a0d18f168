// /openapi/v2, which kubectl 1.27 and 1.28 read (only as gnostic's protobuf, openapi.v2.Document)
// to decide whether the server validates fields itself: for each kind, the PATCH operation with its
// `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter. With it those kubectl
// versions send `fieldValidation=Strict` and skip client-side validation; without it they refuse to
// apply at all. The document has no definitions: field schemas are served by /openapi/v3 (newer
// kubectl read only that), and kubectl computes apply patches from its compiled types.
// Field numbers are those of gnostic's openapiv2/OpenAPIv2.proto.
import { KIND_NAMES, KINDS, type KindInfo } from "@mk/proto/api";
import { groupVersionPath } from "./openapi.js";
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from "./version.js";

/** The reply's content type (kubectl asks for the `…v2@v1.0+protobuf` form, which Go cannot parse back). */
export const OPENAPI_V2_PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
}

/** A length-delimited field (a string or a nested message). */
function field(num: number, payload: Buffer | string): Buffer {
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  return Buffer.concat([varint(num * 8 + 2), varint(bytes.length), bytes]);
}

const msg = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

/** ParametersItem{parameter: Parameter{non_body_parameter: NonBodyParameter{query_parameter_sub_schema}}}. */
function queryParameter(name: string, description: string): Buffer {
  const sub = msg(field(2, "query"), field(3, description), field(4, name), field(6, "string"));
  return field(8, field(1, field(2, field(3, sub))));
}

function patchOperation(info: KindInfo): Buffer {
  const slash = info.apiVersion.indexOf("/");
  const group = slash < 0 ? "" : info.apiVersion.slice(0, slash);
  const version = info.apiVersion.slice(slash + 1);
  // NamedAny{name, value: Any{yaml}}: the extension's value as YAML, as Kubernetes writes it.
  const gvk = field(13, msg(field(1, "x-kubernetes-group-version-kind"), field(2, field(2, `group: "${group}"\nkind: ${info.kind}\nversion: ${version}\n`))));
  return msg(
    field(5, `patch${info.namespaced ? "Namespaced" : ""}${info.kind}`),
    queryParameter("dryRun", "When present, indicates that modifications should not be persisted."),
    queryParameter("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
    queryParameter("fieldValidation", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields."),
    gvk,
  );
}

/** The document, encoded once. */
export function openApiV2Document(): Buffer {
  const paths: Buffer[] = [];
  for (const k of KIND_NAMES) {
    const info = KINDS[k] as KindInfo;
    const collection = info.namespaced ? `/${groupVersionPath(info.apiVersion)}/namespaces/{namespace}/${info.plural}` : `/${groupVersionPath(info.apiVersion)}/${info.plural}`;
    // NamedPathItem{name, value: PathItem{patch}}.
    paths.push(field(2, msg(field(1, `${collection}/{name}`), field(2, field(8, patchOperation(info))))));
  }
  return msg(field(1, "2.0"), field(2, msg(field(1, "Kubernetes"), field(2, `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0`))), field(8, msg(...paths)));
}
