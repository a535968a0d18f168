// -o yaml: kubectl's layout (sorted keys, sequences not indented under their key, no line folding,
// timestamps quoted as Go's YAML encoder quotes them).
import { Document, visit } from "yaml";
import type { Json } from "../objects.js";

const TIMESTAMP = /^\d{4}-\d\d-\d\d([Tt ]\d\d:\d\d(:\d\d)?(\.\d+)?([Zz]|[+-]\d\d:?\d\d)?)?$/;

export function printYaml(obj: Json): string {
  const doc = new Document(obj);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && TIMESTAMP.test(node.value)) node.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0 });
}
