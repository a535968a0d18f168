// The create → get → delete loop the HA tests run through the cluster's one address while members
// die: one iteration every 200 ms through the client mkctl is built on (each its own ConfigMap, its
// get checked against the uid the create returned) and, back to back, the mkctl binary itself.
// Every call is timed; a failed one keeps its error. stop() ends both loops and waits for every
// iteration in flight.
import assert from "node:assert/strict";
import { ConfigMap } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import type { LocalCluster } from "./cluster.js";
import { sleep } from "../harness/wait.js";

export interface Call {
  op: string;
  /** The ConfigMap it was about. */
  name: string;
  /** ms since the loop started */
  at: number;
  ms: number;
  error?: string;
}

export interface CallLoop {
  readonly calls: Call[];
  stop(): Promise<void>;
  /** The calls about each name, for a failure's message. */
  about(names: (string | undefined)[]): string;
}

/** Starts both loops, their ConfigMaps named `${prefix}-N` and `${prefix}-mkctl-N` in default. */
export function startCallLoop(cluster: LocalCluster, prefix: string): CallLoop {
  const cs = cluster.client();
  const calls: Call[] = [];
  const start = performance.now();
  const timed = async <T>(op: string, name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    const t0 = performance.now();
    const at = Math.round(t0 - start);
    try {
      const r = await fn();
      calls.push({ op, name, at, ms: performance.now() - t0 });
      return r;
    } catch (err) {
      calls.push({ op, name, at, ms: performance.now() - t0, error: err instanceof Error ? err.message : String(err) });
      return undefined;
    }
  };
  let running = true;
  const iterations: Promise<void>[] = [];
  const clientLoop = (async () => {
    for (let i = 0; running; i++) {
      const name = `${prefix}-${i}`;
      iterations.push(
        (async () => {
          const cm = ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), data: { i: String(i) } });
          const made = await timed("create", name, () => cs.resource("ConfigMap").create(cm));
          if (!made) return;
          const got = await timed("get", name, () => cs.resource("ConfigMap").get(name, "default"));
          if (got) assert.equal(got.metadata?.uid, made.metadata?.uid, `${name} is the object created`);
          await timed("delete", name, () => cs.resource("ConfigMap").delete(name, "default"));
        })(),
      );
      await sleep(200);
    }
  })();
  const mkctlLoop = (async () => {
    for (let i = 0; running; i++) {
      const name = `${prefix}-mkctl-${i}`;
      for (const args of [
        ["create", "configmap", name, "--from-literal", `i=${i}`],
        ["get", "configmap", name, "-o", "name"],
        ["delete", "configmap", name],
      ]) {
        await timed(`mkctl ${args[0]}`, name, async () => {
          const r = await cluster.mkctl(args);
          if (r.code !== 0) throw new Error(`mkctl ${args.join(" ")}: ${r.stderr.trim()}`);
        });
      }
    }
  })();
  return {
    calls,
    about: (names) =>
      names
        .map((n) => `${n}: ${calls.filter((c) => c.name === n).map((c) => `${c.op} at ${(c.at / 1000).toFixed(1)} s took ${c.ms.toFixed(0)} ms${c.error ? ` (${c.error})` : ""}`).join("; ")}`)
        .join("\n"),
    async stop() {
      running = false;
      await Promise.all([clientLoop, mkctlLoop]);
      await Promise.all(iterations);
    },
  };
}
