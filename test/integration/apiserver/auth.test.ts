// Authentication and authorization at the API server's edge, with a PKI made by `mkctl cluster
// init`'s code: the admin and the control plane may do everything; a node's certificate changes
// only its own Node, Lease and the pods bound to it, and reads a Secret or ConfigMap only while one
// of its pods refers to it; no certificate, no service.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigMap, Event, Lease, Pod, Secret, emptyMeta } from "@mk/proto";
import { type Clientset, connect, ForbiddenError, UnauthorizedError } from "@mk/proto/client";
import { type CertFiles, createCa, initPki, issue, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { eventually } from "../../harness/wait.js";
import { nodeObject } from "../../harness/fake-kubelet.js";
import { pod } from "./fixtures.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
const clients: Clientset[] = [];

function client(files: CertFiles | undefined): Clientset {
  const cs = connect({
    server: api.address,
    tls: { ca: readFileSync(pki.ca.cert), ...(files ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : {}) },
    retry: { attempts: 1 },
    timeoutMs: 5_000,
  });
  clients.push(cs);
  return cs;
}

const nodeCert = (name: string): CertFiles => ({ cert: join(dir, `node-${name}.crt`), key: join(dir, `node-${name}.key`) });
const lease = (name: string) => Lease.fromPartial({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: emptyMeta({ name, namespace: "mk-node-lease" }), spec: { holderIdentity: name, leaseDurationSeconds: 40 } });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-auth-"));
  pki = (await initPki({ dir, advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 })).pki;
  for (const n of ["a", "b"]) await issue(pki.ca, nodeCert(n), { subject: `/O=system:nodes/CN=system:node:${n}`, usage: "both" });
  // A certificate from another CA, claiming to be the admin.
  const rogue = mkdtempSync(join(dir, "rogue-"));
  const rogueCa = { cert: join(rogue, "ca.crt"), key: join(rogue, "ca.key") };
  await createCa(rogueCa, "rogue");
  await issue(rogueCa, { cert: join(dir, "rogue-admin.crt"), key: join(dir, "rogue-admin.key") }, { subject: "/O=system:masters/CN=admin", usage: "client" });
  api = await startTestApiServer({ tls: { cert: readFileSync(pki.apiserver.cert), key: readFileSync(pki.apiserver.key), clientCa: readFileSync(pki.ca.cert) } });
  const admin = client(pki.admin);
  for (const n of ["a", "b"]) {
    await admin.nodes.create(nodeObject({ name: n, ip: "127.0.0.9" }));
    await admin.leases.create(lease(n));
    await admin.pods.create(pod(`web-${n}`, { nodeName: n }));
  }
});

after(async () => {
  for (const c of clients) c.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("the admin certificate (O system:masters) may do everything", async () => {
  const admin = client(pki.admin);
  assert.equal((await admin.namespaces.get("default")).metadata?.name, "default");
  assert.ok((await admin.version()).gitVersion);
});

test("the scheduler's and controller manager's certificates are served", async () => {
  for (const who of [pki.scheduler, pki.controllerManager]) {
    const cs = client(who);
    assert.equal((await cs.pods.list({ namespace: "default" })).items.length, 2);
  }
});

test("a request without a client certificate is refused: UNAUTHENTICATED", async () => {
  await assert.rejects(() => client(undefined).namespaces.get("default"), UnauthorizedError);
});

test("a certificate from another CA counts as none: UNAUTHENTICATED", async () => {
  await assert.rejects(() => client({ cert: join(dir, "rogue-admin.crt"), key: join(dir, "rogue-admin.key") }).namespaces.get("default"), UnauthorizedError);
});

test("a node's certificate changes its own Node, Lease and pods", async () => {
  const a = client(nodeCert("a"));
  const node = await a.nodes.get("a");
  node.metadata = { ...emptyMeta(node.metadata), labels: { ...node.metadata?.labels, mine: "yes" } };
  await a.nodes.update(node);
  await a.nodes.updateStatus(await a.nodes.get("a"));
  await a.leases.update(await a.leases.get("a", "mk-node-lease"));
  const p = await a.pods.get("web-a", "default");
  await a.pods.updateStatus(p);
  assert.ok((await a.pods.list({ namespace: "default" })).items.length >= 1, "a node reads pods");
  await a.events.create(Event.fromPartial({ apiVersion: "v1", kind: "Event", metadata: emptyMeta({ name: "web-a.1", namespace: "default" }), involvedObject: { kind: "Pod", namespace: "default", name: "web-a" }, reason: "Started", message: "ok", type: "Normal", count: 1 }));
  await a.pods.delete("web-a", "default", { gracePeriodSeconds: 0 });
});

test("a node's certificate cannot change another node, its Lease or its pods: PERMISSION_DENIED naming who and what", async () => {
  const a = client(nodeCert("a"));
  const b = await a.nodes.get("b");
  await assert.rejects(() => a.nodes.update(b), (err: unknown) => err instanceof ForbiddenError && /system:node:a/.test(err.message) && /update node "b"/.test(err.message));
  await assert.rejects(() => a.nodes.updateStatus(b), ForbiddenError);
  await assert.rejects(() => a.nodes.delete("b"), ForbiddenError);
  await assert.rejects(() => a.nodes.delete("a"), ForbiddenError, "a node does not delete itself either");
  await assert.rejects(async () => a.leases.update(await a.leases.get("b", "mk-node-lease")), ForbiddenError);
  await assert.rejects(() => a.leases.create(lease("c")), ForbiddenError);
  const pb = await a.pods.get("web-b", "default");
  await assert.rejects(() => a.pods.updateStatus(pb), ForbiddenError);
  // Claiming the pod in the object sent does not help: the stored pod decides.
  await assert.rejects(() => a.pods.updateStatus({ ...pb, spec: pb.spec ? { ...pb.spec, nodeName: "a" } : undefined }), ForbiddenError);
  await assert.rejects(() => a.pods.delete("web-b", "default"), ForbiddenError);
  await assert.rejects(() => a.pods.create(pod("sneaky", { nodeName: "a" })), ForbiddenError);
  await assert.rejects(() => a.deployments.list({ namespace: "default" }), ForbiddenError);
  const admin = client(pki.admin);
  assert.equal((await admin.pods.get("web-b", "default")).metadata?.deletionTimestamp ?? "", "", "B's pod is untouched");
});

/** A pod bound to `node` whose spec refers to objects as `spec` says. */
function referring(name: string, node: string, spec: Partial<Pod["spec"]> & object): Pod {
  const p = pod(name, { nodeName: node });
  return Pod.fromPartial({ ...p, spec: { ...p.spec, ...spec } });
}

const forbiddenFor = (node: string) => (err: unknown) => err instanceof ForbiddenError && err.message.includes(`system:node:${node}`) && /no relationship found between node|by name/.test(err.message);

test("a node reads a Secret or ConfigMap only while one of its pods refers to it (the node authorizer's graph)", async () => {
  const admin = client(pki.admin);
  const a = client(nodeCert("a"));
  const b = client(nodeCert("b"));
  await admin.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "only-b", namespace: "default" }), data: { k: Buffer.from("v") } }));
  await admin.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "cm-b", namespace: "default" }), data: { k: "v" } }));
  await admin.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "pull", namespace: "default" }), data: { k: Buffer.from("v") } }));
  await admin.pods.create(
    referring("uses-b", "b", {
      volumes: [{ name: "s", projected: { sources: [{ secret: { name: "only-b", items: [] } }] } }],
      containers: [{ ...pod("x").spec!.containers[0]!, envFrom: [{ prefix: "", configMapRef: { name: "cm-b" } }] }],
    }),
  );

  // node-b's pod refers to both: b reads them by name, and lists and watches them by name only.
  assert.equal((await eventually("b reads its pod's Secret", () => b.resource("Secret").get("only-b", "default").catch(() => undefined), 10_000)).metadata?.name, "only-b");
  assert.equal((await b.resource("ConfigMap").get("cm-b", "default")).metadata?.name, "cm-b");
  assert.equal((await b.resource("Secret").list({ namespace: "default", fieldSelector: "metadata.name=only-b" })).items.length, 1);
  await assert.rejects(() => b.resource("Secret").list({ namespace: "default" }), forbiddenFor("b"), "a list of every Secret");
  const w = b.resource("Secret").watch({ namespace: "default", fieldSelector: "metadata.name=only-b" });
  assert.equal((await w.next()).value?.object.metadata?.name, "only-b", "a watch of the one Secret by name");
  await w.return(undefined);
  await assert.rejects(() => b.resource("Secret").get("pull", "default"), forbiddenFor("b"));

  // node-a has no pod referring to them: 403 / PERMISSION_DENIED, naming the node.
  await assert.rejects(() => a.resource("Secret").get("only-b", "default"), forbiddenFor("a"));
  await assert.rejects(() => a.resource("ConfigMap").get("cm-b", "default"), forbiddenFor("a"));
  await assert.rejects(() => a.resource("Secret").list({ namespace: "default", fieldSelector: "metadata.name=only-b" }), forbiddenFor("a"));
  await assert.rejects(async () => {
    for await (const _ of a.resource("Secret").watch({ namespace: "default", fieldSelector: "metadata.name=only-b" })) break;
  }, forbiddenFor("a"));

  // Once a pod bound to node-a refers to it (env), a reads it; imagePullSecrets count too.
  await admin.pods.create(
    referring("uses-a", "a", {
      imagePullSecrets: [{ name: "pull" }],
      containers: [{ ...pod("x").spec!.containers[0]!, env: [{ name: "K", value: "", valueFrom: { secretKeyRef: { name: "only-b", key: "k" } } }] }],
    }),
  );
  assert.equal((await a.resource("Secret").get("only-b", "default")).metadata?.name, "only-b");
  assert.equal((await a.resource("Secret").get("pull", "default")).metadata?.name, "pull");
  await assert.rejects(() => a.resource("ConfigMap").get("cm-b", "default"), forbiddenFor("a"), "still not the ConfigMap only b's pod uses");

  // The pod gone, the relationship goes with it.
  await admin.pods.delete("uses-a", "default", { gracePeriodSeconds: 0 });
  await eventually(
    "a refused again",
    () =>
      a
        .resource("Secret")
        .get("only-b", "default")
        .then(
          () => undefined,
          (err: unknown) => (forbiddenFor("a")(err) ? true : undefined),
        ),
    10_000,
  );
});
