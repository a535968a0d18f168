// The /openapi/v3 documents as a whole: generated for every kind of the table, every $ref resolves
// inside its own document, every kind's PATCH lists fieldValidation and carries no requestBody (so
// kubectl leaves validation to the server), and the descriptions table names only real fields.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FIELD_DOCS, FIELD_ENUMS, KIND_NAMES, KINDS, LIST_MAP_KEYS, loadDescriptors } from "@mk/proto/api";
import { OpenApiV3 } from "@mk/apiserver/rest/openapi.js";

interface Doc {
  paths: { [path: string]: { [method: string]: { parameters?: { name: string }[]; requestBody?: unknown; "x-kubernetes-group-version-kind"?: { kind: string } } } };
  components: { schemas: { [name: string]: unknown } };
}

const openapi = new OpenApiV3();
const gvPath = (apiVersion: string) => (apiVersion.includes("/") ? `apis/${apiVersion}` : `api/${apiVersion}`);
const docOf = (apiVersion: string): Doc => JSON.parse(openapi.document(gvPath(apiVersion))?.body ?? "{}") as Doc;

function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) refs(x, out);
  else if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") out.push(x);
      else refs(x, out);
    }
  }
  return out;
}

test("every $ref of every group version's document resolves in that document", () => {
  for (const apiVersion of new Set(KIND_NAMES.map((k) => KINDS[k].apiVersion))) {
    const doc = docOf(apiVersion);
    const missing = refs(doc).filter((r) => !(r.replace("#/components/schemas/", "") in doc.components.schemas));
    assert.deepEqual([...new Set(missing)], [], apiVersion);
  }
});

test("every kind has a PATCH with its GVK and fieldValidation and without requestBody; POST and PUT take its schema", () => {
  for (const k of KIND_NAMES) {
    const info = KINDS[k];
    const doc = docOf(info.apiVersion);
    const scope = info.namespaced ? `/${gvPath(info.apiVersion)}/namespaces/{namespace}/${info.plural}` : `/${gvPath(info.apiVersion)}/${info.plural}`;
    const patch = doc.paths[`${scope}/{name}`]?.patch;
    assert.equal(patch?.["x-kubernetes-group-version-kind"]?.kind, k);
    assert.ok(patch?.parameters?.some((p) => p.name === "fieldValidation"), k);
    assert.equal(patch?.requestBody, undefined, k);
    assert.ok(doc.paths[scope]?.post?.requestBody, `${k} POST`);
  }
});

test("the descriptions, enum and list-map tables name only messages and fields the API has", () => {
  const { messages } = loadDescriptors();
  const exists = (key: string) => {
    const [message = "", field] = key.split(".");
    const m = messages.get(`.mk.v1.${message}`);
    return m !== undefined && (field === undefined || (m.field ?? []).some((f) => (f.jsonName ?? f.name) === field));
  };
  const keys = [...Object.keys(FIELD_DOCS), ...Object.keys(FIELD_ENUMS), ...Object.keys(LIST_MAP_KEYS)];
  assert.deepEqual(
    keys.filter((k) => !exists(k)),
    [],
  );
});
