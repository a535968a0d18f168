// The request fuzzer's long run: n invalid requests (default 10 000) straight to a real mk-apiserver
// process over gRPC, over the Kubernetes HTTP API, or both (one edge after the other, each twice with
// the same seed). Prints the seed (FUZZ_SEED=<seed> reproduces a run),
// the answers by category and code, etcd's revision before and after, crashes, and the API server's
// RSS after each run. Exits 1 when any request got through, any refusal did not name its field, the
// revision moved, the server exited, or the second run left RSS more than 10 MB from the first.
//   node test/dist/bench/fuzz.js [--requests 10000] [--concurrency 8] [--runs 2] [--edge grpc|http|both]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { seedFromEnv } from "../fuzz/rng.js";
import { formatReport, runFuzz, seedObjects } from "../fuzz/run.js";
import { type FuzzTarget, startFuzzTarget } from "../fuzz/target.js";
import { GrpcTransport, HttpTransport, type Transport } from "../fuzz/transport.js";

const { values } = parseArgs({
  options: {
    requests: { type: "string", default: "10000" },
    concurrency: { type: "string", default: "8" },
    runs: { type: "string", default: "2" },
    edge: { type: "string", default: "grpc" },
  },
});

const MB = 1024 * 1024;

/**
 * The API server's RSS once it stopped moving: V8's memory reducer gives back the run's garbage
 * (2 MiB strings, 3 MiB bodies) some seconds after the allocations stop, so a reading 2 s after a
 * run is ±25 MB of noise (+1.8, -24.6, +14.4 MB in three runs). Sampled every 2 s until three samples
 * in a row are within 1 MB of each other, at most 90 s; the last sample.
 */
async function settledRss(target: FuzzTarget): Promise<number> {
  const samples: number[] = [];
  const deadline = Date.now() + 90_000;
  for (;;) {
    samples.push(target.rss());
    const last = samples.slice(-3);
    if (last.length === 3 && Math.max(...last) - Math.min(...last) < MB) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 2_000));
  }
  return samples[samples.length - 1] ?? 0;
}

async function main(): Promise<void> {
  const seed = seedFromEnv();
  const requests = Number(values.requests);
  console.log(`fuzz seed ${seed} (FUZZ_SEED=${seed} reproduces this run), ${requests} requests per run`);
  const edges = values.edge === "both" ? ["grpc", "http"] : [values.edge ?? "grpc"];
  if (!edges.every((e) => e === "grpc" || e === "http")) throw new Error(`--edge: want grpc, http or both, got ${JSON.stringify(values.edge)}`);
  const target = await startFuzzTarget();
  const grpc = new GrpcTransport(target.address, target.grpcCredentials());
  const http = new HttpTransport(target.address, target.ca);
  let ok = true;
  try {
    await seedObjects(grpc);
    const before = await target.revision();
    for (const edge of edges) {
      const transport: Transport = edge === "http" ? http : grpc;
      const rss: number[] = [target.rss()];
      for (let run = 1; run <= Number(values.runs); run++) {
        const report = await runFuzz({ seed, requests, transport, concurrency: Number(values.concurrency) });
        rss.push(await settledRss(target));
        console.log(`${edge} run ${run}: ${formatReport(report)}`);
        console.log(`${edge} run ${run}: ${(report.requests / report.seconds).toFixed(0)} requests/s; API server RSS ${(rss[rss.length - 1]! / MB).toFixed(1)} MB`);
        if (report.accepted > 0 || report.unnamed > 0 || report.failed > 0) ok = false;
      }
      const drift = rss.length > 2 ? (rss[rss.length - 1]! - rss[rss.length - 2]!) / MB : 0;
      console.log(`${edge}: RSS ${rss.map((b) => (b / MB).toFixed(1)).join(" → ")} MB (last run ${drift >= 0 ? "+" : ""}${drift.toFixed(1)} MB)`);
      if (Math.abs(drift) > 10) ok = false;
    }
    const written = await target.objectsWrittenSince(before);
    const exits = target.exits();
    console.log(`objects written since etcd revision ${before}: ${written.length === 0 ? "none" : written.join(", ")}; API server exits: ${exits.length}; load ${loadavg().map((l) => l.toFixed(1)).join(" ")}`);
    if (written.length > 0 || exits.length > 0) ok = false;
  } finally {
    grpc.close();
    http.close();
    await target.stop();
  }
  if (!ok) {
    console.log("FAILED");
    process.exit(1);
  }
  console.log("PASSED");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
