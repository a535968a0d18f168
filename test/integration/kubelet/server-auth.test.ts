// The node's gRPC server with TLS (as `mkctl cluster up` runs it): the TLS handshake needs a client
// certificate from the cluster CA, and of those only the API server's kubelet-client certificate is
// served. A node's certificate (system:node:…), the scheduler's and even the admin's, all valid
// certificates of the same CA, are refused with PERMISSION_DENIED; one from another CA, or none,
// does not get past the handshake.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type ChannelCredentials, credentials, type ServiceError, status } from "@grpc/grpc-js";
import { KubeletClient } from "@mk/proto";
import { type CertFiles, createCa, type InitResult, initPki, issue } from "@mk/kubectl/cluster/pki.js";
import { DockerRuntime } from "@mk/kubelet/runtime/docker.js";
import { KubeletGrpcServer } from "@mk/kubelet/server/kubelet-service.js";
import { pino } from "pino";

let dir: string;
let init: InitResult;
let node: CertFiles;
let foreign: CertFiles;
let server: KubeletGrpcServer;
let target: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-kubelet-auth-"));
  init = await initPki({ dir: join(dir, "pki"), advertiseAddress: "127.0.0.1", tokenTtlSeconds: 60 });
  const { pki } = init;
  // The node's certificate as the API server's signer makes it (apiserver/src/auth/signer.ts).
  node = { cert: join(dir, "node.crt"), key: join(dir, "node.key") };
  await issue(pki.ca, node, { subject: "/O=system:nodes/CN=system:node:auth-1", sans: ["IP:127.0.0.1", "DNS:auth-1"], usage: "both" });
  // A certificate with the API server's very name, from a CA the kubelet does not trust.
  const otherCa = { cert: join(dir, "other-ca.crt"), key: join(dir, "other-ca.key") };
  await createCa(otherCa, "other-ca");
  foreign = { cert: join(dir, "foreign.crt"), key: join(dir, "foreign.key") };
  await issue(otherCa, foreign, { subject: "/O=system:masters/CN=kube-apiserver-kubelet-client", usage: "client" });
  // No pod is known: a call that gets through ends in NotFound from the handler itself.
  server = new KubeletGrpcServer(new DockerRuntime(), { nodeName: "auth-1", clusterId: "server-auth-test" }, { getPod: () => undefined }, pino({ level: "silent" }), {
    ca: readFileSync(pki.ca.cert),
    cert: readFileSync(node.cert),
    key: readFileSync(node.key),
  });
  target = `127.0.0.1:${await server.start("127.0.0.1", 0)}`;
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const withCert = (c: CertFiles, ca = init.pki.ca.cert) => credentials.createSsl(readFileSync(ca), readFileSync(c.key), readFileSync(c.cert));

/** Calls Logs for a pod the node does not have; resolves with the call's final status. */
function logsStatus(creds: ChannelCredentials): Promise<{ code: number; details: string }> {
  const client = new KubeletClient(target, creds);
  return new Promise((resolve) => {
    const call = client.logs({ namespace: "default", pod: "nope", container: "", follow: false, previous: false, timestamps: false });
    call.on("data", () => {});
    call.on("error", (err: ServiceError) => {
      client.close();
      resolve({ code: err.code, details: err.details });
    });
    call.on("end", () => {
      client.close();
      resolve({ code: status.OK, details: "" });
    });
  });
}

test("the API server's kubelet-client certificate is served (the handler answers NotFound for an unknown pod)", async () => {
  const r = await logsStatus(withCert(init.pki.apiserverKubeletClient));
  assert.equal(r.code, status.NOT_FOUND, r.details);
  assert.match(r.details, /pods "nope" not found/);
});

test("a node's certificate from the same CA is refused: PERMISSION_DENIED naming the user", async () => {
  const r = await logsStatus(withCert(node));
  assert.equal(r.code, status.PERMISSION_DENIED, r.details);
  assert.match(r.details, /user "system:node:auth-1" cannot call the kubelet/);
});

test("the admin's and the scheduler's certificates are refused too: users go through the API server", async () => {
  for (const [c, name] of [
    [init.pki.admin, "admin"],
    [init.pki.scheduler, "system:kube-scheduler"],
  ] as const) {
    const r = await logsStatus(withCert(c));
    assert.equal(r.code, status.PERMISSION_DENIED, `${name}: ${r.details}`);
    assert.match(r.details, new RegExp(`user "${name}"`));
  }
});

test("no client certificate, or one from another CA, does not get past the TLS handshake", async () => {
  const none = await logsStatus(credentials.createSsl(readFileSync(init.pki.ca.cert)));
  assert.equal(none.code, status.UNAVAILABLE, none.details);
  const other = await logsStatus(withCert(foreign));
  assert.equal(other.code, status.UNAVAILABLE, other.details);
  const plain = await logsStatus(credentials.createInsecure());
  assert.equal(plain.code, status.UNAVAILABLE, plain.details);
});
