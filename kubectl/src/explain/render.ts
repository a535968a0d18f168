// kubectl explain's plaintext output (k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl), over the
// same OpenAPI v3 document the API server serves: GROUP/KIND/VERSION, then for a field path the FIELD
// line with its type guess (`<Object>`, `<[]Container>`, `<map[string]string>`, `<IntOrString>`), the
// DESCRIPTION (the field's own, then its type's, through allOf/items/additionalProperties) and the
// FIELDS (sorted, `-required-`, the first four enum values), or with --recursive the field tree.
import type { Json, JsonObject } from "@mk/proto/api";
import { isJsonObject } from "@mk/proto/api";
import { indent, wrap } from "./wrap.js";

type Schema = JsonObject;

export interface ExplainDocument {
  components: { schemas: { [name: string]: Schema } };
}

export class FieldNotFound extends Error {}

const obj = (v: Json | undefined): Schema | undefined => (isJsonObject(v) ? v : undefined);
const str = (v: Json | undefined): string => (typeof v === "string" ? v : "");
const list = (v: Json | undefined): Json[] => (Array.isArray(v) ? v : []);

export class Explainer {
  constructor(private readonly doc: ExplainDocument) {}

  private resolveRef(ref: string): Schema | undefined {
    const prefix = "#/components/schemas/";
    return ref.startsWith(prefix) ? this.doc.components.schemas[ref.slice(prefix.length)] : undefined;
  }

  private resolved(schema: Schema): Schema {
    return this.resolveRef(str(schema.$ref)) ?? schema;
  }

  /** A map's values: additionalProperties when it is a schema (not `true`). */
  private mapValues(s: Schema): Schema | undefined {
    return obj(s.additionalProperties);
  }

  typeGuess(s: Schema): string {
    const items = obj(s.items);
    if (items) return `[]${this.typeGuess(items)}`;
    const values = this.mapValues(s);
    if (values) return `map[string]${this.typeGuess(values)}`;
    const allOf = list(s.allOf);
    if (allOf.length === 1 && !s.properties) return this.typeGuess(obj(allOf[0]) ?? {});
    const ref = str(s.$ref);
    if (ref) {
      const target = this.resolveRef(ref);
      if (!target?.type || target.type === "object") return ref.split("/").pop()?.split(".").pop() || "Object";
      return str(target.type) || "Object";
    }
    return s.type === "object" ? "Object" : str(s.type) || "Object";
  }

  private enumText(s: Schema, long: boolean, limit: number, indentAmount: number): string {
    const values = list(s.enum);
    if (values.length === 0) return "";
    let out = long ? "ENUM:" : `\n${" ".repeat(indentAmount)}enum: `;
    for (const [i, v] of values.entries()) {
      if (limit > -1 && i >= limit) {
        out += ", ....";
        break;
      }
      if (!long && i > 0) out += ", ";
      else if (long) out += "\n    ";
      out += v === "" ? '""' : String(v);
    }
    return out;
  }

  private description(s: Schema): string {
    const r = this.resolved(s);
    let out = r.description ? `${str(r.description)}\n` : "";
    for (const sub of list(r.allOf)) out += this.description(obj(sub) ?? {});
    const items = obj(r.items);
    if (items) out += this.description(items);
    const values = this.mapValues(r);
    if (values) out += this.description(values);
    return out;
  }

  private fieldDetail(owner: Schema, name: string, short: boolean, level: number): string {
    const amount = level * 2;
    const field = obj(obj(owner.properties)?.[name]) ?? {};
    let out = `${indent(amount, name)}\t<${this.typeGuess(field)}>`;
    if (list(owner.required).includes(name)) out += " -required-";
    out += `${this.enumText(field, false, 4, amount)}\n`;
    if (!short) out += `${indent(amount + 2, wrap(str(field.description) || "<no description>", 78 - amount))}\n\n`;
    return out;
  }

  private fieldList(s: Schema, level: number, recursive: boolean, history: ReadonlySet<string>): string {
    const ref = str(s.$ref);
    if (ref && history.has(ref)) return "";
    const next = new Set(history).add(ref);
    const r = this.resolved(s);
    let out = "";
    const props = obj(r.properties) ?? {};
    for (const k of Object.keys(props).sort()) {
      out += this.fieldDetail(r, k, recursive, level);
      if (recursive) out += this.fieldList(obj(props[k]) ?? {}, level + 1, recursive, next);
    }
    for (const sub of list(r.allOf)) out += this.fieldList(obj(sub) ?? {}, level, recursive, next);
    const items = obj(r.items);
    if (items) out += this.fieldList(items, level, recursive, next);
    const values = this.mapValues(r);
    if (values) out += this.fieldList(values, level, recursive, next);
    return out;
  }

  /** The template's "output": follows the path, then prints the DESCRIPTION and FIELDS; "" when the path leads nowhere. */
  private output(s: Schema, path: readonly string[], recursive: boolean, history: ReadonlySet<string>): string {
    const ref = str(s.$ref);
    const next = new Set(history).add(ref);
    const r = this.resolved(s);
    if (path.length === 0) {
      let out = `DESCRIPTION:\n${indent(4, wrap(this.description(r) || "<empty>", 76))}\n`;
      const fields = this.fieldList(r, 1, recursive, new Set());
      if (fields) out += `FIELDS:\n${fields}`;
      return out;
    }
    if (ref && history.has(ref)) return "";
    const [first = "", ...rest] = path;
    const sub = obj(obj(r.properties)?.[first]);
    if (sub) {
      let out = "";
      if (path.length === 1) out += `FIELD: ${first} <${this.typeGuess(sub)}>\n${this.enumText(sub, true, -1, 0)}\n\n`;
      return out + this.output(sub, rest, recursive, new Set());
    }
    const items = obj(r.items);
    if (items) return this.output(items, path, recursive, next);
    const values = this.mapValues(r);
    if (values) return this.output(values, path, recursive, next);
    for (const alt of list(r.allOf)) {
      const out = this.output(obj(alt) ?? {}, path, recursive, next);
      if (out) return out;
    }
    return "";
  }

  /** The whole text for the kind's schema (found by name) and a field path; FieldNotFound names the path's last field. */
  explain(gvk: { group: string; kind: string; version: string }, schemaName: string, path: readonly string[], recursive: boolean): string {
    const schema = this.doc.components.schemas[schemaName];
    if (!schema) throw new Error(`GVK ${gvk.group}/${gvk.version}, Kind=${gvk.kind} not found in OpenAPI schema`);
    const body = this.output(schema, path, recursive, new Set());
    if (!body) throw new FieldNotFound(`field "${path[path.length - 1] ?? ""}" does not exist`);
    const group = gvk.group ? `GROUP:      ${gvk.group}\n` : "";
    return `${group}KIND:       ${gvk.kind}\nVERSION:    ${gvk.version}\n\n${body}\n`;
  }
}
