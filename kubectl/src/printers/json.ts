// -o json: four-space indentation, as kubectl.
import type { Json } from "../objects.js";

export function printJson(obj: Json): string {
  return `${JSON.stringify(obj, null, 4)}\n`;
}
