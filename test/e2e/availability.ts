// Watches a deployment serve while it rolls: every 200 ms, list its pods from the API and ask each
// one with an address `GET http://podIP:8080/` (mk/web answers `mk web <version> <hostname>`).
//
// At every poll, with min = replicas - maxUnavailable:
// - the API shows at least min pods Ready and not terminating (the controller's promise);
// - every Ready, non-terminating pod answers, with the version of its own image and its own name
//   as hostname — unless a fresh read right after the failed request shows it terminating or gone
//   (its deletion raced the request; the controller may delete an old pod as soon as a new one is
//   Ready);
// - at least min of the non-terminating pods answer with their version (what a client really gets).
import { request } from "node:http";
import type { Pod } from "@mk/proto";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { isReady, isTerminating, podsOf } from "./cluster.js";

export interface PollReport {
  polls: number;
  /** Every broken promise, with the poll's time and what was seen. */
  violations: string[];
  /** The versions that answered, per poll (e.g. "v1", "v1+v2", "v2"). */
  mixes: string[];
  /** Fewest Ready pods and fewest correct answers seen in one poll. */
  minReady: number;
  minAnswered: number;
  /** Longest time between the starts of two polls (the machine may be loaded). */
  maxGapMs: number;
}

/** The tag of an image reference: mk/web:v2 → v2. */
export function versionOf(image: string): string {
  return image.slice(image.lastIndexOf(":") + 1);
}

function get(ip: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: 8080, path: "/", agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}: ${body.trim()}`))));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

type Answer = { ok: true; version: string } | { ok: false; error: string };

async function ask(p: Pod, timeoutMs: number): Promise<Answer> {
  const want = versionOf(p.spec?.containers[0]?.image ?? "");
  const name = p.metadata?.name ?? "";
  try {
    const body = await get(p.status?.podIp ?? "", timeoutMs);
    const m = /^mk web (\S+) (\S+)$/.exec(body);
    if (!m) return { ok: false, error: `answered ${JSON.stringify(body)}` };
    if (m[1] !== want || m[2] !== name) return { ok: false, error: `answered ${JSON.stringify(body)}, want version ${want} from ${name}` };
    return { ok: true, version: want };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export class AvailabilityPoller {
  private readonly report: PollReport = { polls: 0, violations: [], mixes: [], minReady: Number.POSITIVE_INFINITY, minAnswered: Number.POSITIVE_INFINITY, maxGapMs: 0 };
  private readonly stopped = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly t0 = Date.now();

  constructor(
    private readonly cs: Clientset,
    private readonly app: string,
    private readonly minAvailable: number,
    private readonly everyMs = 200,
    private readonly requestTimeoutMs = 5_000,
  ) {}

  start(): this {
    this.loop = this.run();
    return this;
  }

  /** Stops after the poll under way and returns what was seen. */
  async stop(): Promise<PollReport> {
    this.stopped.abort();
    await this.loop;
    return this.report;
  }

  private async run(): Promise<void> {
    let prev = 0;
    while (!this.stopped.signal.aborted) {
      const start = Date.now();
      if (prev) this.report.maxGapMs = Math.max(this.report.maxGapMs, start - prev);
      prev = start;
      try {
        await this.poll();
      } catch (err) {
        this.report.violations.push(`${this.at()}: poll failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      const wait = start + this.everyMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }

  private at(): string {
    return `+${((Date.now() - this.t0) / 1000).toFixed(1)} s`;
  }

  private async poll(): Promise<void> {
    const pods = (await podsOf(this.cs, this.app)).filter((p) => !isTerminating(p));
    const ready = pods.filter(isReady);
    const addressed = pods.filter((p) => p.status?.podIp);
    const answers = await Promise.all(addressed.map((p) => ask(p, this.requestTimeoutMs)));
    const r = this.report;
    r.polls++;
    const at = this.at();
    const seen = (p: Pod) => `${p.metadata?.name}(${versionOf(p.spec?.containers[0]?.image ?? "")}${isReady(p) ? ",ready" : ""})`;
    if (ready.length < this.minAvailable) {
      r.violations.push(`${at}: ${ready.length} Ready pods < ${this.minAvailable}: ${pods.map(seen).join(" ")}`);
    }
    r.minReady = Math.min(r.minReady, ready.length);
    const versions = new Set<string>();
    let answered = 0;
    for (const [i, p] of addressed.entries()) {
      const a = answers[i];
      if (a?.ok) {
        answered++;
        versions.add(a.version);
        continue;
      }
      if (!isReady(p)) continue;
      // A Ready pod that did not answer: only excused if it was being deleted meanwhile.
      if (await this.goneOrTerminating(p)) continue;
      r.violations.push(`${at}: Ready pod ${p.metadata?.name} at ${p.status?.podIp}: ${a?.error}`);
    }
    if (answered < this.minAvailable) {
      r.violations.push(`${at}: ${answered} pods answered < ${this.minAvailable}: ${pods.map(seen).join(" ")}`);
    }
    r.minAnswered = Math.min(r.minAnswered, answered);
    r.mixes.push([...versions].sort().join("+"));
  }

  private async goneOrTerminating(p: Pod): Promise<boolean> {
    try {
      const now = await this.cs.pods.get(p.metadata?.name ?? "", p.metadata?.namespace ?? "default");
      return isTerminating(now) || now.metadata?.uid !== p.metadata?.uid;
    } catch (err) {
      if (err instanceof NotFoundError) return true;
      throw err;
    }
  }
}

/** maxUnavailable (an int or a percentage of replicas, rounded down as Kubernetes does). */
export function maxUnavailable(value: string | undefined, replicas: number): number {
  if (value === undefined || value === "") return Math.floor(replicas / 4);
  const m = /^(\d+)%$/.exec(value);
  return m ? Math.floor((replicas * Number(m[1])) / 100) : Number(value);
}
