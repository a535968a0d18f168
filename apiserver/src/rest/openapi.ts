// /openapi/v3: the index (one entry per group version, with a content hash in its URL, as Kubernetes
// serves it) and one document per group version, generated from the kinds table and the API's
// descriptors (@mk/proto/api openapi.ts), so a new kind appears by itself. Each resource path has its
// operations with `x-kubernetes-group-version-kind`; PATCH operations list the `fieldValidation`
// query parameter, which tells kubectl to leave validation to this server, and carry no requestBody
// (with one, kubectl would compute apply patches from this document instead of its own types).
import { createHash } from "node:crypto";
import { groupVersionKind, type JsonObject, type KindInfo, kindsByGroupVersion, loadOpenApiSchemas, type OpenApiSchemas, schemaRef } from "@mk/proto/api";
import { KUBERNETES_MAJOR, KUBERNETES_MINOR } from "./version.js";

interface Document {
  body: string;
  hash: string;
}

/** `api/v1`, `apis/apps/v1`: the key of a group version in the index and in its document's URL. */
export function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes("/") ? `apis/${apiVersion}` : `api/${apiVersion}`;
}

const query = (name: string, description: string, type = "string"): JsonObject => ({ name, in: "query", description, schema: { type, uniqueItems: true } });

const PARAMS = {
  dryRun: query(
    "dryRun",
    "When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed",
  ),
  fieldManager: query("fieldManager", "fieldManager is a name associated with the actor or entity that is making these changes."),
  fieldValidation: query(
    "fieldValidation",
    "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.",
  ),
  force: query("force", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people.", "boolean"),
  gracePeriodSeconds: query("gracePeriodSeconds", "The duration in seconds before the object should be deleted.", "integer"),
  propagationPolicy: query("propagationPolicy", "Whether and how garbage collection will be performed. Acceptable values are: 'Orphan', 'Background', 'Foreground'."),
  labelSelector: query("labelSelector", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
  fieldSelector: query("fieldSelector", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
  limit: query("limit", "limit is a maximum number of responses to return for a list call.", "integer"),
  continue: query("continue", "The continue option should be set when retrieving more results from the server."),
  resourceVersion: query("resourceVersion", "resourceVersion sets a constraint on what resource versions a request may be served from."),
  watch: query("watch", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.", "boolean"),
  allowWatchBookmarks: query("allowWatchBookmarks", "allowWatchBookmarks requests watch events with type \"BOOKMARK\".", "boolean"),
};
const pathParam = (name: string, description: string): JsonObject => ({ name, in: "path", description, required: true, schema: { type: "string", uniqueItems: true } });

function reply(schemaName: string): JsonObject {
  return { description: "OK", content: { "application/json": { schema: { $ref: schemaRef(schemaName) } } } };
}

function operation(id: string, action: string, info: KindInfo, parameters: JsonObject[], responses: JsonObject, body?: string): JsonObject {
  const op: JsonObject = {
    operationId: id,
    parameters,
    responses,
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": groupVersionKind(info),
  };
  if (body) op.requestBody = { content: { "*/*": { schema: { $ref: schemaRef(body) } } }, required: true };
  return op;
}

function pathsOf(info: KindInfo, schemaName: string): JsonObject {
  const gv = `/${groupVersionPath(info.apiVersion)}`;
  const id = (verb: string, suffix = "") => `${verb}${info.namespaced ? "Namespaced" : ""}${info.kind}${suffix}`;
  const scope = info.namespaced ? `${gv}/namespaces/{namespace}/${info.plural}` : `${gv}/${info.plural}`;
  const listName = `${schemaName}List`;
  const status = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
  const ok = (name: string) => ({ "200": reply(name) });
  const created = { "200": reply(schemaName), "201": reply(schemaName) };
  const listParams = [PARAMS.labelSelector, PARAMS.fieldSelector, PARAMS.limit, PARAMS.continue, PARAMS.resourceVersion, PARAMS.watch, PARAMS.allowWatchBookmarks];
  const collection: JsonObject = {
    get: operation(id("list"), "list", info, listParams, ok(listName)),
    post: operation(id("create"), "post", info, [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation], created, schemaName),
    delete: operation(id("deletecollection"), "deletecollection", info, [...listParams.slice(0, 5), PARAMS.dryRun, PARAMS.gracePeriodSeconds, PARAMS.propagationPolicy], ok(status)),
    parameters: info.namespaced ? [pathParam("namespace", "object name and auth scope, such as for teams and projects")] : [],
  };
  const item: JsonObject = {
    get: operation(id("read"), "get", info, [], ok(schemaName)),
    put: operation(id("replace"), "put", info, [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation], created, schemaName),
    // No requestBody: see the file's comment.
    patch: operation(id("patch"), "patch", info, [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation, PARAMS.force], created),
    delete: operation(id("delete"), "delete", info, [PARAMS.dryRun, PARAMS.gracePeriodSeconds, PARAMS.propagationPolicy], { "200": reply(schemaName), "202": reply(schemaName) }),
    parameters: [pathParam("name", `name of the ${info.kind}`), ...(info.namespaced ? [pathParam("namespace", "object name and auth scope, such as for teams and projects")] : [])],
  };
  const paths: JsonObject = { [scope]: collection, [`${scope}/{name}`]: item };
  if (info.namespaced) paths[`${gv}/${info.plural}`] = { get: operation(`list${info.kind}ForAllNamespaces`, "list", info, listParams, ok(listName)), parameters: [] };
  return paths;
}

const STATUS_SCHEMA: JsonObject = {
  type: "object",
  description: "Status is a return value for calls that don't return other objects.",
  properties: {
    apiVersion: { type: "string" },
    code: { type: "integer", format: "int32", description: "Suggested HTTP return code for this status, 0 if not set." },
    kind: { type: "string" },
    message: { type: "string", description: "A human-readable description of the status of this operation." },
    reason: { type: "string", description: "A machine-readable description of why this operation is in the \"Failure\" status." },
    status: { type: "string", description: 'Status of the operation. One of: "Success" or "Failure".' },
  },
  "x-kubernetes-group-version-kind": [{ group: "", kind: "Status", version: "v1" }],
};

/** The /openapi/v3 documents, built once from the kinds table and the descriptors. */
export class OpenApiV3 {
  private readonly documents = new Map<string, Document>();

  constructor(schemas: OpenApiSchemas = loadOpenApiSchemas()) {
    for (const [apiVersion, kinds] of kindsByGroupVersion()) {
      const paths: JsonObject = {};
      for (const info of kinds) Object.assign(paths, pathsOf(info, schemas.schemaNameOf(info.kind)));
      const doc = {
        openapi: "3.0.0",
        info: { title: "Kubernetes", version: `v${KUBERNETES_MAJOR}.${KUBERNETES_MINOR}.0` },
        paths,
        components: { schemas: { ...schemas.schemasFor(kinds), "io.k8s.apimachinery.pkg.apis.meta.v1.Status": STATUS_SCHEMA } },
      };
      const body = JSON.stringify(doc);
      this.documents.set(groupVersionPath(apiVersion), { body, hash: createHash("sha512").update(body).digest("hex").toUpperCase() });
    }
  }

  /** The index: `{"paths": {"apis/apps/v1": {"serverRelativeURL": "/openapi/v3/apis/apps/v1?hash=…"}}}`. */
  index(): JsonObject {
    const paths: JsonObject = {};
    for (const [path, doc] of [...this.documents].sort(([a], [b]) => a.localeCompare(b))) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
    return { paths };
  }

  /** The document of `api/v1` or `apis/<group>/<version>` (its JSON text), if that group version exists. */
  document(path: string): Document | undefined {
    return this.documents.get(path);
  }
}
