// ConfigMap and Secret describers, as kubectl prints them: a ConfigMap's values in full, a Secret's
// only as sizes (its values never reach the terminal through describe).
import type { ConfigMap, Secret } from "@mk/proto";
import type { DescribeContext } from "./kinds.js";
import { describeEvents, labelsMultiline, PrefixWriter } from "./writer.js";

function header(w: PrefixWriter, obj: ConfigMap | Secret): void {
  const m = obj.metadata;
  w.line(0, "Name:", m?.name ?? "");
  w.line(0, "Namespace:", m?.namespace ?? "");
  labelsMultiline(w, 0, "Labels", m?.labels);
  labelsMultiline(w, 0, "Annotations", m?.annotations, ": ");
}

export async function describeConfigMap(cm: ConfigMap, c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, cm);
  w.raw("\nData\n====\n");
  for (const k of Object.keys(cm.data).sort()) w.raw(`${k}:\n----\n${cm.data[k] ?? ""}\n\n`);
  w.raw("\nBinaryData\n====\n");
  for (const k of Object.keys(cm.binaryData).sort()) w.raw(`${k}: ${cm.binaryData[k]?.length ?? 0} bytes\n`);
  w.raw("\n");
  describeEvents(w, c.events, c.now);
  return w.toString();
}

/** As kubectl's describeSecret: sizes, never values, and no Events section. */
export async function describeSecret(s: Secret, _c: DescribeContext): Promise<string> {
  const w = new PrefixWriter();
  header(w, s);
  w.raw("\n");
  w.line(0, "Type:", s.type || "Opaque");
  w.raw("\nData\n====\n");
  for (const k of Object.keys(s.data).sort()) w.line(0, `${k}:`, `${s.data[k]?.length ?? 0} bytes`);
  return w.toString();
}
