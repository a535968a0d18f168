// One fuzz run: seeds the valid objects, records etcd's revision, sends n generated requests (a few
// in flight), and checks each answer: refused, and the message names the broken field. Counts by
// category, and keeps a sample of every failure with the case id to reproduce it.
import { KINDS, wrap } from "@mk/proto";
import { type Category, type FuzzCase, generate } from "./generator.js";
import { generateHttp } from "./http-cases.js";
import { SEEDED_KINDS, seedName, valid } from "./objects.js";
import type { Outcome, Transport } from "./transport.js";

export type Verdict = "refused" | "accepted" | "unnamed" | "failed";

export interface Failure {
  id: number;
  category: Category;
  method: string;
  field: string;
  verdict: Verdict;
  code: string;
  /** The server's message, cut to 300 characters. */
  message: string;
}

export interface RunReport {
  seed: number;
  requests: number;
  transport: string;
  refused: number;
  accepted: number;
  /** Refused with a message that does not name the field. */
  unnamed: number;
  /** Answered with a status that is no refusal (INTERNAL …). */
  failed: number;
  byCategory: Record<string, { sent: number; failed: number }>;
  byCode: Record<string, number>;
  /** Up to `sample` failures of each category. */
  failures: Failure[];
  seconds: number;
}

export function judge(c: FuzzCase, o: Outcome): Verdict {
  if (o.accepted) return "accepted";
  if (!o.refusal) return "failed";
  if (c.status !== undefined && o.status !== c.status) return "failed";
  return [c.field, ...(c.aliases ?? [])].some((f) => o.message.includes(f)) ? "refused" : "unnamed";
}

/** A case's method as a failure names it: gRPC's, or HTTP's with its path. */
const methodOf = (c: FuzzCase) => (c.http ? `${c.http.method} ${c.http.path.slice(0, 120)}` : (c.request?.method ?? ""));

/** Creates the seed object of every kind (Update, Delete, Bind and Scale cases target them). */
export async function seedObjects(transport: Transport): Promise<void> {
  for (const kind of SEEDED_KINDS) {
    const object = wrap(kind, valid(kind, seedName(kind)));
    const o = await transport.send({ id: -1, category: "name", field: "", request: { method: "Create", message: { object, dryRun: false } } });
    if (!o.accepted) throw new Error(`the seed ${kind} was refused (${o.code}): ${o.message}`);
  }
}

/** Every kind of the API must have a seed, or the fuzzer would miss a kind's validation. */
export function unseededKinds(): string[] {
  return Object.keys(KINDS).filter((k) => !SEEDED_KINDS.includes(k as (typeof SEEDED_KINDS)[number]));
}

export interface RunOptions {
  seed: number;
  requests: number;
  transport: Transport;
  concurrency?: number;
  sample?: number;
}

export async function runFuzz(opts: RunOptions): Promise<RunReport> {
  const { transport } = opts;
  const started = performance.now();
  const report: RunReport = {
    seed: opts.seed,
    requests: 0,
    transport: transport.name,
    refused: 0,
    accepted: 0,
    unnamed: 0,
    failed: 0,
    byCategory: {},
    byCode: {},
    failures: [],
    seconds: 0,
  };
  const cases = transport.name === "http" ? generateHttp(opts.seed, opts.requests) : generate(opts.seed, opts.requests);
  const worker = async () => {
    for (let next = cases.next(); !next.done; next = cases.next()) {
      const c = next.value;
      if (!transport.carries(c)) continue;
      const o = await transport.send(c);
      const verdict = judge(c, o);
      report.requests++;
      report[verdict]++;
      const cat = report.byCategory[c.category] ?? { sent: 0, failed: 0 };
      report.byCategory[c.category] = cat;
      cat.sent++;
      report.byCode[o.code] = (report.byCode[o.code] ?? 0) + 1;
      if (verdict !== "refused") {
        cat.failed++;
        if (report.failures.filter((f) => f.category === c.category).length < (opts.sample ?? 5)) {
          report.failures.push({ id: c.id, category: c.category, method: methodOf(c), field: c.field, verdict, code: o.code, message: o.message.slice(0, 300) });
        }
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

export function formatReport(r: RunReport): string {
  const lines = [
    `seed ${r.seed} over ${r.transport}: ${r.requests} requests in ${r.seconds.toFixed(1)} s: ${r.refused} refused naming the field, ${r.accepted} accepted, ${r.unnamed} refused without naming it, ${r.failed} failed otherwise`,
    `codes: ${Object.entries(r.byCode)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `categories: ${Object.entries(r.byCategory)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v.sent}${v.failed ? ` (${v.failed} failed)` : ""}`)
      .join(", ")}`,
  ];
  for (const f of r.failures) lines.push(`  #${f.id} ${f.category} ${f.method} ${f.field}: ${f.verdict} ${f.code} ${JSON.stringify(f.message)}`);
  return lines.join("\n");
}
