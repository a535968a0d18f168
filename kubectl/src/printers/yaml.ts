// -o yaml: kubectl's layout (sorted keys, sequences not indented under their key, no line folding).
import { stringify } from "yaml";
import type { Json } from "../objects.js";

export function printYaml(obj: Json): string {
  return stringify(obj, { indentSeq: false, lineWidth: 0 });
}
