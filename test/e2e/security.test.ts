// Mutual TLS by default, end to end (issue criterion 4): a cluster started with `mkctl cluster up`
// (no flag: TLS is the default) refuses a join with a wrong token or a wrong CA hash, saying why and
// writing nothing; a kubelet's certificate (node-1's, as its join left it in the cluster directory)
// reads and updates its own Node but cannot change node-2's Node or a pod bound to node-2, nor read
// a Secret only node-2's pod uses, nor call node-2's kubelet directly — each check over both edges,
// gRPC and Kubernetes' HTTP API (HTTP/2 and HTTP/1.1), which must answer alike (HTTP's refusals a
// metav1.Status); a
// connection without a client certificate, or with one from another CA, is refused; the admin
// context `up` wrote works, and logs of a pod on node-2 come through the API server (the one
// identity the kubelet serves).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { credentials, type ServiceError, status } from "@grpc/grpc-js";
import { emptyMeta, KubeletClient, Pod, Secret } from "@mk/proto";
import { type Clientset, connect, UnauthorizedError } from "@mk/proto/client";
import { caCertHash, createCa, issue } from "@mk/kubectl/cluster/pki.js";
import { writeContext } from "@mk/kubectl/config.js";
import { LocalCluster, steps } from "./cluster.js";
import { eventually } from "../harness/wait.js";
import { EDGES, type EdgeName, type EdgeRequest, type Identity, type Outcome, openEdge } from "../harness/edges.js";

const step = steps(240_000);
let cluster: LocalCluster;
let server = "";
let pkiDir = "";
let scratch = "";
const clients: Clientset[] = [];

before(async () => {
  cluster = await LocalCluster.create({ name: "sec" });
  const api = cluster.upArgs[cluster.upArgs.indexOf("--api-port") + 1];
  server = `127.0.0.1:${api}`;
  pkiDir = join(cluster.home, "cluster", "pki");
  scratch = mkdtempSync(join(tmpdir(), "mk-e2e-sec-join-"));
});

after(async () => {
  for (const c of clients) c.close();
  await cluster?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const [node1 = "", node2 = ""] = ["1", "2"].map((i) => `sec${process.pid}-${i}`);

/** A client of the API server with the given PEM files (no cert/key: a client without a certificate). */
function client(files: { ca: string; cert?: string; key?: string }): Clientset {
  const cs = connect({
    server,
    tls: { ca: readFileSync(files.ca), ...(files.cert && files.key ? { cert: readFileSync(files.cert), key: readFileSync(files.key) } : {}) },
    retry: { attempts: 1 },
    timeoutMs: 20_000,
  });
  clients.push(cs);
  return cs;
}

/** node-1's credentials, as `cluster up`'s join wrote them (secure.ts: pki/kubelets/<node>). */
const kubeletFiles = (node: string) => {
  const dir = join(pkiDir, "kubelets", node);
  return { ca: join(dir, "ca.crt"), cert: join(dir, "kubelet.crt"), key: join(dir, "kubelet.key") };
};

step("cluster up with no flag runs mutual TLS; the mk-local context uses the admin certificate", async () => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /certificates ready in/);
  assert.match(up.stderr, /etcd\s+ready at https:\/\//);
  const config = readFileSync(cluster.env.MK_CONFIG ?? "", "utf8");
  assert.match(config, new RegExp(`client-certificate: ${join(pkiDir, "admin.crt")}`));
  const nodes = await cluster.ok(["get", "nodes", "-o", "name"]);
  assert.deepEqual(nodes.trim().split("\n").sort(), [`node/${node1}`, `node/${node2}`]);
  // Each kubelet joined with the token: its certificate is system:node:<name>, from the cluster CA.
  for (const n of [node1, node2]) assert.ok(existsSync(kubeletFiles(n).cert), `${n} joined`);
});

step("a join with a wrong token is refused, saying why, and writes nothing", async () => {
  const hash = caCertHash(readFileSync(join(pkiDir, "ca.crt")));
  const dir = join(scratch, "wrong-token");
  const r = await cluster.mkctl(["cluster", "join", server, "--token", "abcdef.0123456789abcdef", "--ca-cert-hash", hash, "--node-ip", "127.0.0.9", "--node-name", "intruder", "--dir", dir, "--no-start"]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stderr, "Error from server (Unauthorized): join refused: the token is not known\n");
  assert.equal(r.stdout, "");
  assert.ok(!existsSync(dir), `nothing written: ${existsSync(dir) ? readdirSync(dir).join(", ") : ""}`);
});

step("a join with a wrong CA hash is refused before the token is sent, and writes nothing", async () => {
  const { token } = JSON.parse(readFileSync(join(pkiDir, "local-join.json"), "utf8")) as { token: string };
  const wrong = `sha256:${"ab".repeat(32)}`;
  const dir = join(scratch, "wrong-hash");
  const r = await cluster.mkctl(["cluster", "join", server, "--token", token, "--ca-cert-hash", wrong, "--node-ip", "127.0.0.9", "--node-name", "intruder", "--dir", dir, "--no-start"]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, new RegExp(`^error: the cluster CA at ${server.replaceAll(".", "\\.")} has hash sha256:[0-9a-f]{64}, not ${wrong}: refusing to trust it\\n$`));
  assert.ok(!existsSync(dir), "nothing written");
  // Neither attempt made a Node.
  const nodes = await cluster.ok(["get", "nodes", "-o", "name"]);
  assert.ok(!nodes.includes("intruder"), nodes);
});

let podOn2: Pod | undefined;

type Who = "admin" | "node-1" | "node-2" | "no certificate" | "another CA's admin";
interface Case {
  what: string;
  who: Who;
  req: EdgeRequest;
  code: 200 | 401 | 403;
  message?: RegExp;
}
/** What each edge answered, compared once both have run. */
const answers = new Map<string, Map<EdgeName, Outcome>>();

step("node-1's certificate works on its own Node; it cannot change node-2's Node or pod, nor read node-2's Secret: over gRPC and HTTP alike", async (signal) => {
  const admin = cluster.client();
  await admin.resource("Secret").create(Secret.fromPartial({ metadata: emptyMeta({ name: "only-node-2", namespace: "default" }), data: { k: Buffer.from("v") } }));
  podOn2 = await admin.pods.create(
    Pod.fromPartial({
      apiVersion: "v1",
      kind: "Pod",
      metadata: emptyMeta({ name: "on-node-2", namespace: "default" }),
      spec: {
        nodeName: node2,
        containers: [{ name: "c", image: "mk/busybox:1", command: ["sh", "-c", "echo hello from node-2; exec sleep 3600"], volumeMounts: [{ name: "s", mountPath: "/s" }] }],
        volumes: [{ name: "s", secret: { secretName: "only-node-2", items: [] } }],
      },
    }),
  );
  const kubelet1 = client(kubeletFiles(node1));
  const own = await kubelet1.nodes.get(node1);
  own.metadata = { ...(own.metadata ?? emptyMeta({ name: node1 })), labels: { ...own.metadata?.labels, "e2e.mk.io/touched": "by-itself" } };
  const updated = await kubelet1.nodes.update(own);
  assert.equal(updated.metadata?.labels["e2e.mk.io/touched"], "by-itself");
  const pod = await eventually("the pod on node-2 running", async () => {
    const p = await admin.pods.get("on-node-2", "default");
    return p.status?.phase === "Running" ? p : undefined;
  }, 120_000, { everyMs: 500, signal });

  // The same certificates, the same address: one table of cases over both edges.
  const rogue = join(scratch, "rogue");
  mkdirSync(rogue);
  await createCa({ cert: join(rogue, "ca.crt"), key: join(rogue, "ca.key") }, "rogue");
  await issue({ cert: join(rogue, "ca.crt"), key: join(rogue, "ca.key") }, { cert: join(rogue, "admin.crt"), key: join(rogue, "admin.key") }, { subject: "/O=system:masters/CN=admin", usage: "client" });
  const identities: { [w in Who]: Identity } = {
    admin: { cert: join(pkiDir, "admin.crt"), key: join(pkiDir, "admin.key") },
    "node-1": kubeletFiles(node1),
    "node-2": kubeletFiles(node2),
    "no certificate": undefined,
    "another CA's admin": { cert: join(rogue, "admin.crt"), key: join(rogue, "admin.key") },
  };
  const forbidden = new RegExp(`user "system:node:${node1}"`);
  const unauthenticated = /^Unauthorized: the request carries no client certificate signed by the cluster CA$/;
  const ns = "default";
  const cases: Case[] = [
    { what: "the admin reads node-2's pod", who: "admin", req: { verb: "get", kind: "Pod", name: "on-node-2", namespace: ns }, code: 200 },
    { what: "the admin reads the Secret", who: "admin", req: { verb: "get", kind: "Secret", name: "only-node-2", namespace: ns }, code: 200 },
    { what: "node-1 reads its own Node", who: "node-1", req: { verb: "get", kind: "Node", name: node1 }, code: 200 },
    { what: "node-1 reads node-2's Node (a kubelet reads nodes)", who: "node-1", req: { verb: "get", kind: "Node", name: node2 }, code: 200 },
    { what: "node-1 cannot update node-2's Node", who: "node-1", req: { verb: "update", kind: "Node", name: node2 }, code: 403, message: forbidden },
    { what: "node-1 cannot update node-2's Node status", who: "node-1", req: { verb: "updateStatus", kind: "Node", name: node2 }, code: 403, message: forbidden },
    { what: "node-1 cannot update the status of the pod bound to node-2", who: "node-1", req: { verb: "updateStatus", kind: "Pod", name: "on-node-2", namespace: ns }, code: 403, message: forbidden },
    { what: "node-1 cannot delete the pod bound to node-2", who: "node-1", req: { verb: "delete", kind: "Pod", name: "on-node-2", namespace: ns }, code: 403, message: forbidden },
    { what: "node-2 reads the Secret its pod mounts", who: "node-2", req: { verb: "get", kind: "Secret", name: "only-node-2", namespace: ns }, code: 200 },
    { what: "node-1 cannot read the Secret only node-2's pod uses", who: "node-1", req: { verb: "get", kind: "Secret", name: "only-node-2", namespace: ns }, code: 403, message: new RegExp(`${forbidden.source}.*no relationship found between node '${node1}' and this object`) },
    { what: "no client certificate: refused", who: "no certificate", req: { verb: "list", kind: "Node" }, code: 401, message: unauthenticated },
    { what: "another CA's certificate claiming the admin: refused", who: "another CA's admin", req: { verb: "list", kind: "Node" }, code: 401, message: unauthenticated },
  ];
  for (const name of EDGES) {
    const edge = openEdge(name, { address: server, ca: join(pkiDir, "ca.crt"), admin: identities.admin });
    try {
      for (const c of cases) {
        const out = await edge.call(identities[c.who], c.req);
        const where = `${name}: ${c.what}: ${out.code} ${out.reason}: ${out.message}`;
        assert.equal(out.code, c.code, where);
        if (c.message) assert.match(out.message, c.message, where);
        if (name !== "gRPC" && c.code !== 200) {
          assert.equal(out.body?.kind, "Status", `${where}: a metav1.Status`);
          assert.equal(out.body?.code, c.code, where);
          assert.equal(out.body?.reason, c.code === 401 ? "Unauthorized" : "Forbidden", where);
        }
        if (!answers.has(c.what)) answers.set(c.what, new Map());
        answers.get(c.what)?.set(name, out);
      }
    } finally {
      edge.close();
    }
  }
  for (const [what, by] of answers) {
    const g = by.get("gRPC");
    for (const e of EDGES) assert.equal(`${by.get(e)?.code} ${by.get(e)?.reason} ${by.get(e)?.message}`, `${g?.code} ${g?.reason} ${g?.message}`, `${what}: ${e} answers as gRPC`);
  }

  // Nothing the refused calls tried happened.
  const after = await admin.pods.get("on-node-2", "default");
  assert.equal(after.status?.phase, "Running", "the pod is untouched");
  assert.ok(!after.metadata?.deletionTimestamp, "not being deleted");
  assert.equal(after.metadata?.resourceVersion, pod.metadata?.resourceVersion, "not written at all");
  assert.equal((await admin.nodes.get(node2)).metadata?.labels["e2e.mk.io/touched"], undefined);
});

step("node-1's certificate cannot call node-2's kubelet directly; logs through the API server work", async (signal) => {
  const admin = cluster.client();
  const n2 = await admin.nodes.get(node2);
  const ip = n2.status?.addresses.find((a) => a.type === "InternalIP")?.address;
  const port = n2.status?.daemonEndpoints?.kubeletEndpoint?.port;
  assert.ok(ip && port, "node-2 publishes its kubelet endpoint");
  const f = kubeletFiles(node1);
  const direct = new KubeletClient(`${ip}:${port}`, credentials.createSsl(readFileSync(f.ca), readFileSync(f.key), readFileSync(f.cert)));
  const refused = await new Promise<ServiceError>((resolve, reject) => {
    const call = direct.logs({ namespace: "default", pod: "on-node-2", container: "c", follow: false, previous: false, timestamps: false });
    call.on("data", () => reject(new Error("node-1 read node-2's pod logs")));
    call.on("error", resolve);
    call.on("end", () => reject(new Error("node-1's call to node-2's kubelet succeeded")));
  }).finally(() => direct.close());
  assert.equal(refused.code, status.PERMISSION_DENIED, refused.details);
  assert.match(refused.details, new RegExp(`user "system:node:${node1}" cannot call the kubelet`));

  const logs = await eventually("logs of the pod on node-2 through the API server", async (why) => {
    const r = await cluster.mkctl(["logs", "on-node-2"]);
    return r.code === 0 && r.stdout.includes("hello from node-2") ? r.stdout : why(`${r.code} ${r.stdout}${r.stderr}`);
  }, 60_000, { everyMs: 500, signal });
  assert.equal(logs, "hello from node-2\n");
});

step("a connection without a client certificate is refused: Unauthorized, for the client and for mkctl", async () => {
  const anon = client({ ca: join(pkiDir, "ca.crt") });
  await assert.rejects(() => anon.nodes.list(), (err: unknown) => err instanceof UnauthorizedError && /no client certificate/.test(err.message));
  // Plaintext does not even get a TLS handshake.
  const plain = connect({ server, retry: { attempts: 1 }, timeoutMs: 5_000 });
  clients.push(plain);
  await assert.rejects(() => plain.nodes.list());
  // mkctl with a context that trusts the CA but has no certificate of its own.
  const anonConfig = join(scratch, "anon.conf");
  writeContext({ name: "anon", server, certificateAuthority: join(pkiDir, "ca.crt") }, anonConfig);
  const r = await cluster.mkctl(["--kubeconfig", anonConfig, "get", "nodes"]);
  assert.equal(r.code, 1, r.stdout);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /^Error from server \(Unauthorized\): .*no client certificate/);
  // The admin context still works, and the pod is there.
  assert.match(await cluster.ok(["get", "pods"]), /on-node-2\s+1\/1\s+Running/);
  assert.ok(podOn2);
  await cluster.ok(["delete", "pod", "on-node-2", "--grace-period=0", "--force"]);
});
