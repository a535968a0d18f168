// The request fuzzer's short run (the long one: node test/dist/bench/fuzz.js --requests 10000):
// 1 000 invalid requests of every kind and fault, over gRPC, to mk-apiserver as its own process.
// Every one refused naming its field, etcd's revision unchanged, the server still the same process.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { seedFromEnv } from "./rng.js";
import { formatReport, runFuzz, seedObjects, unseededKinds } from "./run.js";
import { type FuzzTarget, startFuzzTarget } from "./target.js";
import { GrpcTransport } from "./transport.js";

let target: FuzzTarget;
let transport: GrpcTransport;

before(async () => {
  target = await startFuzzTarget();
  transport = new GrpcTransport(target.address);
  await seedObjects(transport);
});
after(async () => {
  transport?.close();
  await target?.stop();
});

test("every kind of the API has a seed object to mutate", () => {
  assert.deepEqual(unseededKinds(), []);
});

test("1 000 invalid requests: all refused naming the field, nothing written, no crash", async () => {
  const seed = seedFromEnv();
  const before = await target.revision();
  const report = await runFuzz({ seed, requests: 1000, transport, concurrency: 8 });
  const text = formatReport(report);
  console.log(text); // the seed reproduces a failure: FUZZ_SEED=<seed>
  assert.equal(report.requests, 1000);
  assert.equal(report.accepted, 0, text);
  assert.equal(report.unnamed, 0, text);
  assert.equal(report.failed, 0, text);
  assert.ok(Object.keys(report.byCategory).length >= 20, `every category was tried: ${text}`);
  assert.equal(await target.revision(), before, "etcd's revision did not move");
  assert.deepEqual(target.exits(), [], "the API server never exited");
});
