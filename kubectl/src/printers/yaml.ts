// -o yaml: kubectl's layout (sorted keys, sequences not indented under their key, no line folding),
// with Go's yaml.v2 choice of quotes: a string that would read back as another type (a timestamp,
// a number, true/yes/on, null or empty) in double quotes; one that cannot be plain for its
// characters (`***`, `a: b`) in single quotes.
import { Document, visit } from "yaml";
import type { Json } from "../objects.js";

const TIMESTAMP = /^\d{4}-\d\d-\d\d([Tt ]\d\d:\d\d(:\d\d)?(\.\d+)?([Zz]|[+-]\d\d:?\d\d)?)?$/;
/** YAML 1.1's other types, as yaml.v2's resolve reads a plain scalar. */
const NOT_A_STRING = [
  /^(|~|null|Null|NULL)$/,
  /^(y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  /^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o[0-7_]+|[0-9][0-9_]*)$/,
  /^[-+]?(\.[0-9_]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$/,
  /^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/,
  /^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?$/,
  TIMESTAMP,
];

export function printYaml(obj: Json): string {
  const doc = new Document(obj);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === "string" && !node.value.includes("\n") && NOT_A_STRING.some((re) => re.test(node.value as string))) node.type = "QUOTE_DOUBLE";
    },
  });
  return doc.toString({ indentSeq: false, lineWidth: 0, singleQuote: true });
}
