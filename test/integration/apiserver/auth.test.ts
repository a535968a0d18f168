// Authentication and authorization at the API server's edges, with a PKI made by `mkctl cluster
// init`'s code: the admin and the control plane may do everything; a node's certificate changes
// only its own Node, Lease and the pods bound to it, and reads a Secret or ConfigMap only while one
// of its pods refers to it; no certificate (or one from another CA), no service. One table of
// cases runs over both edges — gRPC and Kubernetes' HTTP API, the latter over HTTP/2 (kubectl) and
// HTTP/1.1 (client-node) — with the same certificates on the same server; each must answer each
// case with the same code, reason and message as gRPC, HTTP's failures as a metav1.Status.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigMap, Event, Lease, Pod, Secret, emptyMeta } from "@mk/proto";
import { type Clientset, connect } from "@mk/proto/client";
import { type CertFiles, createCa, initPki, issue, type Pki } from "@mk/kubectl/cluster/pki.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { EDGES, type Edge, type EdgeName, type EdgeRequest, type Identity, type Outcome, openEdge, slug } from "../../harness/edges.js";
import { eventually } from "../../harness/wait.js";
import { nodeObject } from "../../harness/fake-kubelet.js";
import { pod } from "./fixtures.js";

let api: TestApiServer;
let dir: string;
let pki: Pki;
let admin: Clientset;
const edges = new Map<EdgeName, Edge>();

type Who = "admin" | "scheduler" | "controller-manager" | "node-a" | "node-b" | "no certificate" | "another CA's admin";
const nodeCert = (name: string): CertFiles => ({ cert: join(dir, `node-${name}.crt`), key: join(dir, `node-${name}.key`) });
function identity(who: Who): Identity {
  switch (who) {
    case "admin":
      return pki.admin;
    case "scheduler":
      return pki.scheduler;
    case "controller-manager":
      return pki.controllerManager;
    case "node-a":
      return nodeCert("a");
    case "node-b":
      return nodeCert("b");
    case "no certificate":
      return undefined;
    case "another CA's admin":
      return { cert: join(dir, "rogue-admin.crt"), key: join(dir, "rogue-admin.key") };
  }
}

const lease = (name: string) => Lease.fromPartial({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: emptyMeta({ name, namespace: "mk-node-lease" }), spec: { holderIdentity: name, leaseDurationSeconds: 40 } });
/** The pods each edge works on are its own (`web-a-grpc`, `web-a-http2` …): the cases delete some. */
const podOf = (node: string, edge: EdgeName) => `web-${node}-${slug(edge)}`;

/** A pod bound to `node` whose spec refers to objects as `spec` says. */
function referring(name: string, node: string, spec: Partial<Pod["spec"]> & object): Pod {
  const p = pod(name, { nodeName: node });
  return Pod.fromPartial({ ...p, spec: { ...p.spec, ...spec } });
}

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
  admin = connect({ server: api.address, tls: { ca: readFileSync(pki.ca.cert), cert: readFileSync(pki.admin.cert), key: readFileSync(pki.admin.key) }, timeoutMs: 10_000 });
  for (const n of ["a", "b"]) {
    await admin.nodes.create(nodeObject({ name: n, ip: "127.0.0.9" }));
    await admin.leases.create(lease(n));
    for (const e of EDGES) await admin.pods.create(pod(podOf(n, e), { nodeName: n }));
  }
  // node-b's pod refers to a Secret (projected volume) and a ConfigMap (envFrom); "pull" is nobody's.
  await admin.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "only-b", namespace: "default" }), data: { k: Buffer.from("v") } }));
  await admin.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "cm-b", namespace: "default" }), data: { k: "v" } }));
  await admin.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "pull", namespace: "default" }), data: { k: Buffer.from("v") } }));
  await admin.pods.create(
    referring("uses-b", "b", {
      volumes: [{ name: "s", projected: { sources: [{ secret: { name: "only-b", items: [] } }] } }],
      containers: [{ ...pod("x").spec!.containers[0]!, envFrom: [{ prefix: "", configMapRef: { name: "cm-b" } }] }],
    }),
  );
  for (const e of EDGES) edges.set(e, openEdge(e, { address: api.address, ca: pki.ca.cert, admin: pki.admin }));
  // The node authorizer's graph follows the pods by a watch: wait until it knows uses-b.
  const b = edges.get("gRPC")!;
  await eventually("node-b reads its pod's Secret", async () => (await b.call(nodeCert("b"), { verb: "get", kind: "Secret", name: "only-b", namespace: "default" })).code === 200, 10_000);
});

after(async () => {
  for (const e of edges.values()) e.close();
  admin?.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Case {
  what: string;
  who: Who;
  req: (edge: EdgeName) => EdgeRequest;
  /** 200 for success (any 2xx over HTTP), else the error's HTTP code. */
  code: 200 | 401 | 403;
  /** What the refusal's message must say. */
  message?: RegExp;
}

const UNAUTHENTICATED = /^Unauthorized: the request carries no client certificate signed by the cluster CA$/;
const notRelated = (node: string) => new RegExp(`system:node:${node}.*(no relationship found between node '${node}' and this object|by name)`);
const ns = "default";

const CASES: Case[] = [
  { what: "the admin certificate (O system:masters) reads a namespace", who: "admin", req: () => ({ verb: "get", kind: "Namespace", name: "default" }), code: 200 },
  { what: "the scheduler's certificate lists pods", who: "scheduler", req: () => ({ verb: "list", kind: "Pod", namespace: ns }), code: 200 },
  { what: "the controller manager's certificate lists pods", who: "controller-manager", req: () => ({ verb: "list", kind: "Pod", namespace: ns }), code: 200 },
  { what: "no client certificate is refused", who: "no certificate", req: () => ({ verb: "get", kind: "Namespace", name: "default" }), code: 401, message: UNAUTHENTICATED },
  { what: "no client certificate cannot list pods either", who: "no certificate", req: () => ({ verb: "list", kind: "Pod", namespace: ns }), code: 401, message: UNAUTHENTICATED },
  { what: "a certificate from another CA counts as none", who: "another CA's admin", req: () => ({ verb: "get", kind: "Namespace", name: "default" }), code: 401, message: UNAUTHENTICATED },
  { what: "a certificate from another CA cannot delete a pod", who: "another CA's admin", req: (e) => ({ verb: "delete", kind: "Pod", name: podOf("b", e), namespace: ns }), code: 401, message: UNAUTHENTICATED },

  // A node changes its own Node, Lease and pods.
  { what: "node-a reads its Node", who: "node-a", req: () => ({ verb: "get", kind: "Node", name: "a" }), code: 200 },
  { what: "node-a updates its Node", who: "node-a", req: () => ({ verb: "update", kind: "Node", name: "a" }), code: 200 },
  { what: "node-a updates its Node's status", who: "node-a", req: () => ({ verb: "updateStatus", kind: "Node", name: "a" }), code: 200 },
  { what: "node-a updates its Lease", who: "node-a", req: () => ({ verb: "update", kind: "Lease", name: "a", namespace: "mk-node-lease" }), code: 200 },
  { what: "node-a updates the status of its pod", who: "node-a", req: (e) => ({ verb: "updateStatus", kind: "Pod", name: podOf("a", e), namespace: ns }), code: 200 },
  { what: "node-a lists pods (a kubelet watches them)", who: "node-a", req: () => ({ verb: "list", kind: "Pod", namespace: ns }), code: 200 },
  { what: "node-a reads node-b's Node", who: "node-a", req: () => ({ verb: "get", kind: "Node", name: "b" }), code: 200 },
  {
    what: "node-a creates an Event about its pod",
    who: "node-a",
    req: (e) => ({ verb: "create", kind: "Event", object: Event.fromPartial({ apiVersion: "v1", kind: "Event", metadata: emptyMeta({ name: `${podOf("a", e)}.1`, namespace: ns }), involvedObject: { kind: "Pod", namespace: ns, name: podOf("a", e) }, reason: "Started", message: "ok", type: "Normal", count: 1 }) }),
    code: 200,
  },
  { what: "node-a deletes its pod", who: "node-a", req: (e) => ({ verb: "delete", kind: "Pod", name: podOf("a", e), namespace: ns }), code: 200 },

  // …and nothing of another node's.
  { what: "node-a cannot update node-b's Node", who: "node-a", req: () => ({ verb: "update", kind: "Node", name: "b" }), code: 403, message: /system:node:a.*update node "b"/ },
  { what: "node-a cannot update node-b's Node status", who: "node-a", req: () => ({ verb: "updateStatus", kind: "Node", name: "b" }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot delete node-b's Node", who: "node-a", req: () => ({ verb: "delete", kind: "Node", name: "b" }), code: 403, message: /system:node:a/ },
  { what: "node-a does not delete its own Node either", who: "node-a", req: () => ({ verb: "delete", kind: "Node", name: "a" }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot update node-b's Lease", who: "node-a", req: () => ({ verb: "update", kind: "Lease", name: "b", namespace: "mk-node-lease" }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot create a Lease for another node", who: "node-a", req: () => ({ verb: "create", kind: "Lease", object: lease("c") }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot update the status of a pod bound to node-b", who: "node-a", req: (e) => ({ verb: "updateStatus", kind: "Pod", name: podOf("b", e), namespace: ns }), code: 403, message: /system:node:a/ },
  { what: "node-a claiming node-b's pod in the object sent does not help: the stored pod decides", who: "node-a", req: (e) => ({ verb: "updateStatus", kind: "Pod", name: podOf("b", e), namespace: ns, nodeName: "a" }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot delete a pod bound to node-b", who: "node-a", req: (e) => ({ verb: "delete", kind: "Pod", name: podOf("b", e), namespace: ns }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot create a pod, even one bound to itself", who: "node-a", req: (e) => ({ verb: "create", kind: "Pod", object: pod(`sneaky-${slug(e)}`, { nodeName: "a" }) }), code: 403, message: /system:node:a/ },
  { what: "node-a cannot list Deployments", who: "node-a", req: () => ({ verb: "list", kind: "Deployment", namespace: ns }), code: 403, message: /system:node:a/ },

  // Secrets and ConfigMaps: only those its pods refer to, and only by name (the node authorizer's graph).
  { what: "node-b reads the Secret its pod mounts", who: "node-b", req: () => ({ verb: "get", kind: "Secret", name: "only-b", namespace: ns }), code: 200 },
  { what: "node-b reads the ConfigMap its pod uses", who: "node-b", req: () => ({ verb: "get", kind: "ConfigMap", name: "cm-b", namespace: ns }), code: 200 },
  { what: "node-b lists that Secret by name", who: "node-b", req: () => ({ verb: "list", kind: "Secret", namespace: ns, fieldSelector: "metadata.name=only-b" }), code: 200 },
  { what: "node-b watches that Secret by name", who: "node-b", req: () => ({ verb: "watch", kind: "Secret", namespace: ns, fieldSelector: "metadata.name=only-b" }), code: 200 },
  { what: "node-b cannot list every Secret", who: "node-b", req: () => ({ verb: "list", kind: "Secret", namespace: ns }), code: 403, message: notRelated("b") },
  { what: "node-b cannot read a Secret none of its pods uses", who: "node-b", req: () => ({ verb: "get", kind: "Secret", name: "pull", namespace: ns }), code: 403, message: notRelated("b") },
  { what: "node-a cannot read a Secret only node-b's pod uses", who: "node-a", req: () => ({ verb: "get", kind: "Secret", name: "only-b", namespace: ns }), code: 403, message: notRelated("a") },
  { what: "node-a cannot read a ConfigMap only node-b's pod uses", who: "node-a", req: () => ({ verb: "get", kind: "ConfigMap", name: "cm-b", namespace: ns }), code: 403, message: notRelated("a") },
  { what: "node-a cannot list that Secret by name", who: "node-a", req: () => ({ verb: "list", kind: "Secret", namespace: ns, fieldSelector: "metadata.name=only-b" }), code: 403, message: notRelated("a") },
  { what: "node-a cannot watch that Secret by name", who: "node-a", req: () => ({ verb: "watch", kind: "Secret", namespace: ns, fieldSelector: "metadata.name=only-b" }), code: 403, message: notRelated("a") },
];

/** What each edge answered to each case, compared at the end. */
const answers = new Map<string, Map<EdgeName, Outcome>>();

for (const edge of EDGES) {
  for (const c of CASES) {
    test(`${edge}: ${c.what} (${c.code})`, async () => {
      const out = await edges.get(edge)!.call(identity(c.who), c.req(edge));
      assert.equal(out.code, c.code, `${c.who}: ${out.code} ${out.reason}: ${out.message}`);
      if (c.message) assert.match(out.message, c.message);
      if (edge !== "gRPC" && c.code !== 200) {
        const reason = c.code === 401 ? "Unauthorized" : "Forbidden";
        assert.deepEqual({ ...out.body, message: "", details: undefined }, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "", reason, code: c.code, details: undefined }, "a metav1.Status");
      }
      if (!answers.has(c.what)) answers.set(c.what, new Map());
      answers.get(c.what)!.set(edge, out);
    });
  }
}

for (const edge of EDGES) {
  test(`${edge}: once a pod bound to node-a refers to a Secret, node-a reads it; the pod gone, refused again`, async () => {
    const e = edges.get(edge)!;
    const a = nodeCert("a");
    const name = `uses-a-${slug(edge)}`;
    const get = (kind: "Secret" | "ConfigMap", n: string) => e.call(a, { verb: "get", kind, name: n, namespace: ns });
    await admin.pods.create(
      referring(name, "a", {
        imagePullSecrets: [{ name: "pull" }],
        containers: [{ ...pod("x").spec!.containers[0]!, env: [{ name: "K", value: "", valueFrom: { secretKeyRef: { name: "only-b", key: "k" } } }] }],
      }),
    );
    await eventually("node-a reads the Secret its pod's env refers to", async () => (await get("Secret", "only-b")).code === 200, 10_000);
    assert.equal((await get("Secret", "pull")).code, 200, "imagePullSecrets count too");
    const cm = await get("ConfigMap", "cm-b");
    assert.equal(cm.code, 403, "still not the ConfigMap only node-b's pod uses");
    assert.match(cm.message, notRelated("a"));
    await admin.pods.delete(name, ns, { gracePeriodSeconds: 0 });
    await eventually("node-a refused again", async () => (await get("Secret", "only-b")).code === 403, 10_000);
  });
}

test("the edges answer every case alike: the same code, reason and message over HTTP/2 and HTTP/1.1 as over gRPC", () => {
  const differ: string[] = [];
  const same = (o: Outcome | undefined) => o && `${o.code} ${o.reason} ${o.message.replaceAll(/-(grpc|http2|http11)\b/g, "-<edge>")}`;
  for (const [what, byEdge] of answers) {
    for (const e of EDGES) if (same(byEdge.get(e)) !== same(byEdge.get("gRPC"))) differ.push(`${what}:\n  gRPC: ${same(byEdge.get("gRPC"))}\n  ${e}: ${same(byEdge.get(e))}`);
  }
  assert.equal(answers.size, CASES.length, "every case answered on every edge");
  assert.deepEqual(differ, []);
});

test("what the cases changed, they changed; what they were refused, stayed as it was", async () => {
  for (const e of EDGES) {
    // A pod bound to a node is deleted gracefully: marked, until its kubelet (none here) confirms.
    const deleted = await admin.pods.get(podOf("a", e), ns).catch(() => undefined);
    assert.ok(!deleted || deleted.metadata?.deletionTimestamp, `node-a deleted ${podOf("a", e)}`);
    assert.equal((await admin.pods.get(podOf("b", e), ns)).metadata?.deletionTimestamp ?? "", "", `${podOf("b", e)} is untouched`);
  }
  assert.equal((await admin.nodes.get("b")).metadata?.labels["e2e.mk.io/touched"], undefined, "node-b's Node is untouched");
  assert.ok((await admin.nodes.get("a")).metadata?.labels["e2e.mk.io/touched"], "node-a labelled its own Node");
  await assert.rejects(() => admin.leases.get("c", "mk-node-lease"), /NotFound|not found/);
});

test("/readyz, /livez and /healthz on the TLS port answer anyone, without a certificate (a balancer's check, as kube-apiserver's); nothing else does", async () => {
  const { request } = await import("node:https");
  const [host, port] = api.address.split(":");
  const get = (path: string, method = "GET") =>
    new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request({ host, port: Number(port), path, method, ca: readFileSync(pki.ca.cert), servername: host === "127.0.0.1" ? undefined : host, timeout: 10_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
  for (const path of ["/readyz", "/livez", "/healthz"]) assert.deepEqual(await get(path), { code: 200, body: "ok" }, path);
  assert.equal((await get("/readyz", "HEAD")).code, 200);
  // Not /metrics (that stays on the loopback HTTP port), not /version, not a resource, not another method.
  for (const path of ["/metrics", "/version", "/api/v1/namespaces", "/readyz/etcd"]) assert.equal((await get(path)).code, 401, path);
  assert.equal((await get("/readyz", "POST")).code, 401, "POST /readyz");
});
