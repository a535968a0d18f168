// What the request fuzzer (test/fuzz) found, one test each, against an in-process API server: a
// request the API must refuse, naming the field, without writing anything or dropping the client.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { Client, credentials, type ServiceError, status } from "@grpc/grpc-js";
import { CreateRequest, emptyMeta, Node, type Pod, ReplicaSet, WatchRequest, wrap } from "@mk/proto";
import { type Clientset, connect, InvalidError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { concat, serialize, varint, WIRE, type WireNode, WireSchema, walk } from "../../fuzz/wire.js";
import { failure, pod } from "./fixtures.js";

let api: TestApiServer;
let cs: Clientset;
let raw: Client;
const schema = new WireSchema();

before(async () => {
  api = await startTestApiServer();
  cs = connect({ server: api.address, retry: { attempts: 1 } });
  raw = new Client(api.address, credentials.createInsecure());
});
after(async () => {
  raw?.close();
  cs?.close();
  await api?.stop();
});

const identity = (b: Buffer) => b;

/** A unary call with the bytes as they are: the status code and message. */
function call(method: string, body: Uint8Array): Promise<{ code: number; details: string }> {
  return new Promise((resolve) => {
    raw.makeUnaryRequest(`/mk.v1.Resources/${method}`, identity, identity, Buffer.from(body), { deadline: Date.now() + 30_000 }, (err: ServiceError | null) => {
      resolve(err ? { code: err.code, details: err.details } : { code: status.OK, details: "" });
    });
  });
}

/** A valid create of the pod, with `damage` done to its wire tree. */
function damagedCreate(p: Pod, damage: (nodes: WireNode[], all: WireNode[]) => void): Uint8Array {
  const nodes = schema.parse(".mk.v1.CreateRequest", CreateRequest.encode({ object: wrap("Pod", p), dryRun: false }).finish());
  damage(nodes, walk(nodes));
  return serialize(nodes);
}

function node(all: WireNode[], path: string): WireNode {
  const n = all.find((x) => x.path === path);
  assert.ok(n, `no field ${path} in the request`);
  return n;
}

async function podCount(): Promise<number> {
  return (await cs.pods.list({ namespace: "default" })).items.length;
}

async function refusedNaming(body: Uint8Array, field: string): Promise<void> {
  const before = await podCount();
  const res = await call("Create", body);
  assert.equal(status[res.code], "INVALID_ARGUMENT", res.details);
  assert.ok(res.details.includes(field), `the message names ${field}: ${res.details}`);
  assert.equal(await podCount(), before, "nothing was created");
}

test("wire: an unknown field number is refused, named by its message and number", async () => {
  const body = damagedCreate(pod("wire-unknown"), (_, all) => {
    node(all, "metadata").children?.push({ no: 99, wireType: WIRE.VARINT, payload: varint(1n), path: "" });
  });
  await refusedNaming(body, "metadata.#99");
});

test("wire: broken UTF-8 in a string is refused, not replaced with U+FFFD", async () => {
  // The image: no rule of its own would catch a U+FFFD in it.
  const body = damagedCreate(pod("wire-utf8"), (_, all) => {
    const image = node(all, "spec.containers[0].image");
    image.payload = concat([image.payload, Uint8Array.of(0xc3, 0x28)]);
  });
  await refusedNaming(body, "spec.containers[0].image");
  // In a map the key names the entry; a broken key, the map.
  const label = damagedCreate(pod("wire-utf8-key", { labels: { app: "web" } }), (_, all) => {
    const key = node(all, "metadata.labels[app]").children?.find((c) => c.no === 1);
    assert.ok(key);
    key.payload = Uint8Array.of(0xff);
  });
  await refusedNaming(label, "metadata.labels");
});

test("wire: a wrong wire type, an int32 past 32 bits, a repeated singular field, two kinds", async () => {
  await refusedNaming(
    damagedCreate(pod("wire-type"), (_, all) => {
      const n = node(all, "spec.containers[0].image");
      n.wireType = WIRE.VARINT;
      n.payload = varint(1n);
    }),
    "spec.containers[0].image",
  );
  await refusedNaming(
    damagedCreate(pod("wire-range"), (_, all) => {
      node(all, "spec.containers[0].ports[0].containerPort").payload = varint(2n ** 40n + 80n);
    }),
    "spec.containers[0].ports[0].containerPort",
  );
  await refusedNaming(
    damagedCreate(pod("wire-dup"), (_, all) => {
      const meta = node(all, "metadata");
      const name = node(all, "metadata.name");
      meta.children?.push({ ...name, payload: new TextEncoder().encode("other-name") });
    }),
    "metadata.name",
  );
  await refusedNaming(
    damagedCreate(pod("wire-two-kinds"), (nodes) => {
      const object = nodes.find((n) => n.no === 1);
      object?.children?.push({ no: 1, wireType: WIRE.LEN, payload: new Uint8Array(), path: "" });
    }),
    "object",
  );
});

test("a 2 MiB string is refused naming its field, before etcd refuses the write", async () => {
  const p = pod("huge-env");
  const c = p.spec?.containers[0];
  assert.ok(c);
  c.env = [{ name: "BIG", value: "x".repeat(2 * 1024 * 1024) }];
  await refusedNaming(CreateRequest.encode({ object: wrap("Pod", p), dryRun: false }).finish(), "spec.containers[0].env[0].value");
});

test("a field error quoting a value outside ASCII is answered (it crashed the API server)", async () => {
  const err = await failure(() => cs.pods.create(pod("label-e", { labels: { é: "v" } })));
  assert.ok(err instanceof InvalidError, String(err));
  assert.equal(err.fields[0]?.field, "metadata.labels");
  assert.equal(err.fields[0]?.value, '"é"', "the causes carry the value as sent");
  assert.ok(Array.isArray((await cs.namespaces.list()).items), "the server still answers");
});

test("an error of 2 000 field errors fits its trailers, and the connection lives on", async () => {
  const p = pod("many");
  const c = p.spec?.containers[0];
  assert.ok(c);
  if (p.spec) p.spec.containers = Array.from({ length: 2000 }, () => structuredClone(c));
  const err = await failure(() => cs.pods.create(p));
  assert.ok(err instanceof InvalidError, String(err));
  assert.match(err.message, /spec\.containers\[1\]\.name: Duplicate value/);
  assert.ok(err.message.length <= 16 * 1024, `the message is cut to 16 KiB: ${err.message.length}`);
  assert.ok(err.fields.length > 0 && err.fields.length < 2000, `as many causes as fit: ${err.fields.length}`);
  assert.ok(Array.isArray((await cs.namespaces.list()).items), "the same connection still answers");
});

test("quantities: 1e400 is out of range, an emptyDir's sizeLimit and a node's allocatable may not be negative", async () => {
  const inf = pod("q-inf");
  const c = inf.spec?.containers[0];
  assert.ok(c);
  c.resources = { limits: { cpu: "1e400" }, requests: {} };
  const e1 = await failure(() => cs.pods.create(inf));
  assert.match(e1.message, /spec\.containers\[0\]\.resources\.limits\[cpu\]: Invalid value: "1e400"/);

  const size = pod("q-size");
  size.spec?.volumes.push({ name: "scratch", emptyDir: { medium: "", sizeLimit: "-1" } });
  const e2 = await failure(() => cs.pods.create(size));
  assert.match(e2.message, /spec\.volumes\[0\]\.emptyDir\.sizeLimit: Invalid value: "-1": must be greater than or equal to 0/);

  const n = await cs.nodes.create(Node.fromPartial({ metadata: emptyMeta({ name: "q-node" }), spec: {}, status: { capacity: { pods: "110" }, allocatable: { pods: "110" } } }));
  if (n.status) n.status.allocatable = { pods: "-1" };
  const e3 = await failure(() => cs.nodes.updateStatus(n));
  assert.match(e3.message, /status\.allocatable\[pods\]: Invalid value: "-1": must be greater than or equal to 0/);
});

test("a probe's port is a number from 1 to 65535 or a port name", async () => {
  for (const port of ["-1", "Bad_Port_Name_Too_Long"]) {
    const p = pod("probe-port");
    const c = p.spec?.containers[0];
    assert.ok(c);
    c.livenessProbe = { httpGet: { path: "/", port, host: "", scheme: "", httpHeaders: [] }, initialDelaySeconds: 0 };
    const err = await failure(() => cs.pods.create(p));
    assert.match(err.message, /spec\.containers\[0\]\.livenessProbe\.httpGet\.port: Invalid value/, port);
  }
});

test("a field selector with an unescaped = in its value is refused (it matched nothing, silently)", async () => {
  const err = await failure(() => cs.pods.list({ namespace: "default", fieldSelector: "spec.nodeName=a=b" }));
  assert.ok(err instanceof InvalidError, String(err));
  assert.match(err.message, /invalid field selector "spec\.nodeName=a=b": .*unescaped = in the value/);
  assert.equal(err.fields[0]?.field, "fieldSelector");
});

test("a ReplicaSet's status counts may not be negative", async () => {
  const rs = await cs.replicaSets.create(
    ReplicaSet.fromPartial({
      metadata: emptyMeta({ name: "rs-status", namespace: "default" }),
      spec: { replicas: 0, selector: { matchLabels: { app: "rs-status" } }, template: { metadata: emptyMeta({ labels: { app: "rs-status" } }), spec: pod("x").spec } },
    }),
  );
  if (rs.status) rs.status.readyReplicas = -1;
  const err = await failure(() => cs.replicaSets.updateStatus(rs));
  assert.match(err.message, /status\.readyReplicas: Invalid value: -1: must be greater than or equal to 0/);
});

test("a generateName that cannot make a valid name is refused naming generateName", async () => {
  const p = pod("");
  if (p.metadata) p.metadata.generateName = "Bad_";
  const err = await failure(() => cs.pods.create(p));
  assert.match(err.message, /metadata\.generateName: Invalid value: "Bad_"/);
});

test("a watch from a resourceVersion in the future is refused, not left waiting", async () => {
  const body = Buffer.from(WatchRequest.encode({ kind: "Pod", namespace: "default", labelSelector: "", fieldSelector: "", resourceVersion: "99999999", allowBookmarks: false }).finish());
  const res = await new Promise<{ code: number; details: string } | "started">((resolve) => {
    const stream = raw.makeServerStreamRequest("/mk.v1.Resources/Watch", identity, identity, body, { deadline: Date.now() + 30_000 });
    const timer = setTimeout(() => {
      resolve("started");
      stream.cancel();
    }, 5_000);
    stream.on("data", () => {});
    stream.on("error", (err: ServiceError) => {
      clearTimeout(timer);
      resolve({ code: err.code, details: err.details });
    });
  });
  assert.notEqual(res, "started", "the watch was refused within 5 s");
  assert.match(typeof res === "string" ? res : res.details, /resourceVersion "99999999" is newer than the current revision/);
});
