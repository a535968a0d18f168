// `mkctl cluster join`'s path against a real API server: discovery checks the CA's hash, the
// bootstrap token must be known and unexpired, the node IP must be the host's; a good join gives
// a certificate for system:node:<name> that the API server accepts, and mkctl works with the admin
// certificate `init` made.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { type Clientset, connect, UnauthorizedError } from "@mk/proto/client";
import { joinCluster } from "@mk/kubectl/cluster/join.js";
import { createToken, initPki, type InitResult } from "@mk/kubectl/cluster/pki.js";
import { writeContext } from "@mk/kubectl/config.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { nodeObject } from "../../harness/fake-kubelet.js";
import { REPO } from "../kubectl/mkctl.js";

let api: TestApiServer;
let dir: string;
let init: InitResult;
const clients: Clientset[] = [];
const HOST = ["127.0.0.1", "127.0.0.5"];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mk-join-"));
  init = await initPki({ dir: join(dir, "pki"), advertiseAddress: "127.0.0.1", tokenTtlSeconds: 3600 });
  const { pki } = init;
  api = await startTestApiServer({
    tls: {
      cert: readFileSync(pki.apiserver.cert),
      key: readFileSync(pki.apiserver.key),
      clientCa: readFileSync(pki.ca.cert),
      signer: { caCert: pki.ca.cert, caKey: pki.ca.key, tokenFile: pki.tokens },
    },
  });
});

after(async () => {
  for (const c of clients) c.close();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const base = () => ({ server: api.address, token: init.token, caCertHash: init.caCertHash, nodeIp: "127.0.0.5", nodeName: "n1", dir: join(dir, "kubelet-n1"), hostAddresses: HOST });

test("join with a wrong CA hash is refused before anything is sent", async () => {
  const wrong = `sha256:${"0".repeat(64)}`;
  await assert.rejects(() => joinCluster({ ...base(), caCertHash: wrong }), /refusing to trust it/);
});

test("join with a wrong token is refused", async () => {
  await assert.rejects(() => joinCluster({ ...base(), token: "abcdef.0123456789abcdef" }), (err: unknown) => err instanceof UnauthorizedError && /not known/.test(err.message));
  await assert.rejects(() => joinCluster({ ...base(), token: "not-a-token" }), UnauthorizedError);
});

test("join with an expired token is refused", async () => {
  const expired = createToken(init.pki.tokens, -1);
  await assert.rejects(() => joinCluster({ ...base(), token: expired }), (err: unknown) => err instanceof UnauthorizedError && /expired/.test(err.message));
});

test("join with a node IP that is not this host's is refused (VirtualBox's NAT address)", async () => {
  await assert.rejects(() => joinCluster({ ...base(), nodeIp: "10.0.2.15" }), /not an address of this host/);
});

test("a good join gives a certificate for system:node:<name>, accepted by the API server for its own Node only", async () => {
  const files = await joinCluster(base());
  const cert = new X509Certificate(readFileSync(files.cert));
  assert.match(cert.subject, /CN=system:node:n1/);
  assert.match(cert.subject, /O=system:nodes/);
  assert.match(cert.subjectAltName ?? "", /IP Address:127\.0\.0\.5/);
  assert.ok(cert.verify(new X509Certificate(readFileSync(init.pki.ca.cert)).publicKey));
  const cs = connect({ server: api.address, tls: { ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) }, retry: { attempts: 1 } });
  clients.push(cs);
  await cs.nodes.create(nodeObject({ name: "n1", ip: "127.0.0.5" }));
  await assert.rejects(() => cs.nodes.create(nodeObject({ name: "n2", ip: "127.0.0.6" })), /Forbidden/);
});

test("mkctl with the admin certificate works; without one it is refused", async () => {
  const run = promisify(execFile);
  const admin = join(dir, "admin.conf");
  writeContext({ name: "t", server: api.address, certificateAuthority: init.pki.ca.cert, clientCertificate: init.pki.admin.cert, clientKey: init.pki.admin.key }, admin);
  const ok = await run(process.execPath, [join(REPO, "kubectl/dist/main.js"), "get", "nodes"], { env: { ...process.env, MK_CONFIG: admin } });
  assert.match(ok.stdout, /n1/);
  const anon = join(dir, "anon.conf");
  writeContext({ name: "t", server: api.address, certificateAuthority: init.pki.ca.cert }, anon);
  await assert.rejects(() => run(process.execPath, [join(REPO, "kubectl/dist/main.js"), "get", "nodes"], { env: { ...process.env, MK_CONFIG: anon } }), (err: unknown) => /Unauthorized|certificate/i.test(String((err as { stderr?: string }).stderr)));
});
