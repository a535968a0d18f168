// Invariant: no lost object — every object the test made exists with the spec it last wrote.
// The driver tells the checker what it writes; the checker compares every watch event of those
// objects, and a final read, with it. The rules:
// - What is compared is what the driver writes: a Deployment's replicas and its container's image
//   (the API server adds defaults, and controllers write status, neither of which is the test's).
// - An event older than the acknowledged write (its revision below the one the write returned) may
//   show the spec before it: watches lag writes.
// - A write that failed without an answer (the API server was killed mid-call) may or may not have
//   landed: until the next acknowledged write, the object may show it or the spec before it. The
//   driver writes with the resourceVersion it read, so an unanswered write cannot land after a later
//   acknowledged one (that one would have failed with a conflict).
// - A delete of an object the test made is a loss: the test never deletes them during a run.
import type { Deployment } from "@mk/proto";
import type { DeepReadonly } from "@mk/proto/informer";
import type { ApiEvent, Violation } from "./events.js";

export interface WrittenSpec {
  replicas: number;
  image: string;
}

interface Expected {
  spec: WrittenSpec;
  /** The revision the acknowledged write returned. */
  ackRv: number;
  /** Writes that failed without an answer since the last acknowledged one. */
  maybe: WrittenSpec[];
}

export function writtenSpecOf(d: DeepReadonly<Deployment>): WrittenSpec {
  return { replicas: d.spec?.replicas ?? 1, image: d.spec?.template?.spec?.containers[0]?.image ?? "" };
}

const same = (a: WrittenSpec, b: WrittenSpec) => a.replicas === b.replicas && a.image === b.image;
const show = (s: WrittenSpec) => `${s.replicas} × ${s.image}`;

export class LostChecker {
  private readonly expected = new Map<string, Expected>();
  readonly violations: Violation[] = [];
  checks = 0;

  /** The write of spec to name was acknowledged at revision rv. */
  acked(name: string, spec: WrittenSpec, rv: number): void {
    this.expected.set(name, { spec, ackRv: rv, maybe: [] });
  }

  /** The write of spec to name failed without saying whether it landed. */
  unanswered(name: string, spec: WrittenSpec): void {
    this.expected.get(name)?.maybe.push(spec);
  }

  feed(e: ApiEvent): void {
    if (e.kind !== "Deployment") return;
    const name = e.obj.metadata?.name ?? "";
    const want = this.expected.get(name);
    if (!want) return;
    this.checks += 1;
    if (e.type === "delete") {
      this.violations.push({ invariant: "lost", detail: `deployment ${name} deleted at revision ${e.rv}` });
      return;
    }
    if (e.rv < want.ackRv) return;
    this.compare(name, writtenSpecOf(e.obj), want, `at revision ${e.rv}`);
  }

  /** The final read: each object as a GET returns it now (undefined: not found). */
  checkNow(read: ReadonlyMap<string, DeepReadonly<Deployment> | undefined>): void {
    for (const [name, want] of this.expected) {
      this.checks += 1;
      const d = read.get(name);
      if (!d) this.violations.push({ invariant: "lost", detail: `deployment ${name} is gone` });
      else this.compare(name, writtenSpecOf(d), want, "now");
    }
  }

  names(): string[] {
    return [...this.expected.keys()];
  }

  private compare(name: string, got: WrittenSpec, want: Expected, when: string): void {
    if (same(got, want.spec) || want.maybe.some((m) => same(got, m))) return;
    this.violations.push({ invariant: "lost", detail: `deployment ${name} ${when} has ${show(got)}, last written ${show(want.spec)}` });
  }
}
