// kubectl's describe layout: lines written with a nesting level (two spaces each) and tabs between
// label and value, aligned at the end by one tabwriter (padding 2) over the whole text.
import type { Event } from "@mk/proto";
import { LAST_APPLIED_ANNOTATION, since } from "@mk/proto/api";
import { DESCRIBE_TABS, formatTabs } from "../printers/tabwriter.js";

export class PrefixWriter {
  private text = "";

  /** `w.write(1, "Image:", image)` → "  Image:\tmk/web:v1\n". */
  line(level: number, ...cells: (string | number)[]): void {
    this.text += `${"  ".repeat(level)}${cells.join("\t")}\n`;
  }

  raw(s: string): void {
    this.text += s;
  }

  toString(): string {
    return formatTabs(this.text, DESCRIBE_TABS);
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const pad = (n: number) => String(n).padStart(2, "0");

/** RFC 1123 with numeric zone in local time, as kubectl describe: `Mon, 23 Nov 2026 19:00:00 +0000`. */
export function describeTime(iso: string | undefined): string {
  if (!iso) return "<unset>";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const off = -d.getTimezoneOffset();
  const zone = `${off >= 0 ? "+" : "-"}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${DAYS[d.getDay()]}, ${pad(d.getDate())} ${MONTHS[d.getMonth()]} ${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${zone}`;
}

/** `Labels:  app=web` then one more line per label. */
export function labelsMultiline(w: PrefixWriter, level: number, title: string, m: { [k: string]: string } | undefined, sep = "="): void {
  const keys = Object.keys(m ?? {})
    .filter((k) => k !== LAST_APPLIED_ANNOTATION)
    .sort();
  if (keys.length === 0) {
    w.line(level, `${title}:`, "<none>");
    return;
  }
  keys.forEach((k, i) => {
    const v = m?.[k] ?? "";
    const text = sep === "=" ? `${k}=${v}` : `${k}: ${v}`;
    if (i === 0) w.line(level, `${title}:`, text);
    else w.line(level, "", text);
  });
}

/** The Events section: `Events:  <none>` or a Type/Reason/Age/From/Message table. */
export function describeEvents(w: PrefixWriter, events: readonly Event[], now: number): void {
  if (events.length === 0) {
    w.line(0, "Events:", "<none>");
    return;
  }
  const at = (e: Event) => Date.parse(e.lastTimestamp || e.firstTimestamp || e.metadata?.creationTimestamp || "") || 0;
  const sorted = [...events].sort((a, b) => at(a) - at(b));
  w.line(0, "Events:");
  w.line(1, "Type", "Reason", "Age", "From", "Message");
  w.line(1, "----", "------", "----", "----", "-------");
  for (const e of sorted) {
    const first = since(e.firstTimestamp || e.metadata?.creationTimestamp, now);
    const age = e.count > 1 ? `${since(e.lastTimestamp, now)} (x${e.count} over ${first})` : first;
    w.line(1, e.type, e.reason, age, e.source?.component || e.reportingComponent, e.message.trim());
  }
}

/** The Conditions table of a ReplicaSet or Job: Type, Status and Reason of each; nothing when none. */
export function describeConditions(w: PrefixWriter, conds: ReadonlyArray<{ type: string; status: string; reason: string }>): void {
  if (conds.length === 0) return;
  w.line(0, "Conditions:");
  w.line(1, "Type", "Status", "Reason");
  w.line(1, "----", "------", "------");
  for (const x of conds) w.line(1, `${x.type} `, x.status, x.reason);
}
