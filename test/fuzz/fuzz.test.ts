// The request fuzzer's short run (the long one: node test/dist/bench/fuzz.js --requests 10000
// [--edge http|grpc|both]): 1 000 invalid requests of every kind and fault over gRPC, then 1 000
// over the Kubernetes HTTP API, to mk-apiserver as its own process. Every one refused naming its
// field, no object written in etcd, the server still the same process.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { seedFromEnv } from "./rng.js";
import { formatReport, runFuzz, seedObjects, unseededKinds } from "./run.js";
import { type FuzzTarget, startFuzzTarget } from "./target.js";
import { GrpcTransport, HttpTransport, type Transport } from "./transport.js";

let target: FuzzTarget;
let grpc: GrpcTransport;
let http: HttpTransport;

before(async () => {
  target = await startFuzzTarget();
  grpc = new GrpcTransport(target.address, target.grpcCredentials());
  http = new HttpTransport(target.address, target.ca);
  await seedObjects(grpc);
});
after(async () => {
  grpc?.close();
  http?.close();
  await target?.stop();
});

test("every kind of the API has a seed object to mutate", () => {
  assert.deepEqual(unseededKinds(), []);
});

async function fuzz(transport: Transport, categories: number): Promise<void> {
  const seed = seedFromEnv();
  const before = await target.revision();
  const report = await runFuzz({ seed, requests: 1000, transport, concurrency: 8 });
  const text = formatReport(report);
  console.log(text); // the seed reproduces a failure: FUZZ_SEED=<seed>
  assert.equal(report.requests, 1000);
  assert.equal(report.accepted, 0, text);
  assert.equal(report.unnamed, 0, text);
  assert.equal(report.failed, 0, text);
  assert.ok(Object.keys(report.byCategory).length >= categories, `every category was tried: ${text}`);
  assert.deepEqual(await target.objectsWrittenSince(before), [], "no object written");
  assert.deepEqual(target.exits(), [], "the API server never exited");
}

test("1 000 invalid requests over gRPC: all refused naming the field, nothing written, no crash", () => fuzz(grpc, 20));

test("1 000 invalid requests over HTTP: all refused with a Status naming the field, nothing written, no crash", () => fuzz(http, 25));
