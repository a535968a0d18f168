// The two-tier demo's images without a cluster: mk/backend:v1 and mk/proxy:v1 on a Docker network
// this test makes (and removes), the backend reachable as `backend` by a network alias, as the
// Service's name is in a cluster. GET /api/<rest> through the proxy answers the backend's
// "Request to /<rest> was successful". And deploy/examples/two-tier.yaml applies as one file.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { docker, RUN_ID, RUN_LABEL, removeContainers } from "../../harness/docker.js";
import { eventually } from "../../harness/wait.js";
import { startMkctlEnv } from "../kubectl/mkctl.js";

const network = `mk-two-tier-${RUN_ID}`;
const RUN = ["--pull", "never", "--label", `${RUN_LABEL}=${RUN_ID}`];
const started: string[] = [];

async function ipOf(id: string): Promise<string> {
  return (await docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id])).trim();
}

before(async () => {
  await docker(["network", "create", "--label", `${RUN_LABEL}=${RUN_ID}`, network]);
});

after(async () => {
  await removeContainers(started);
  await docker(["network", "rm", network]).catch(() => undefined);
});

/** GET over a fresh connection; the status and the body. */
async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000), headers: { connection: "close" } });
  return { status: res.status, body: await res.text() };
}

test("the proxy forwards /api/<rest> to the backend by name: Request to /<rest> was successful", async () => {
  const backend = await docker(["run", "-d", ...RUN, "--network", network, "--network-alias", "backend", "mk/backend:v1"]);
  started.push(backend);
  const proxy = await docker(["run", "-d", ...RUN, "--network", network, "mk/proxy:v1"]);
  started.push(proxy);
  const [b, p] = [await ipOf(backend), await ipOf(proxy)];
  // Straight to the backend, any path.
  const direct = await eventually("the backend answers", async () => (await get(`http://${b}:80/hello/there`).catch(() => undefined)) ?? undefined, 30_000, { everyMs: 250 });
  assert.deepEqual(direct, { status: 200, body: "Request to /hello/there was successful\n" });
  // Through the proxy, which reaches it as http://backend:80/.
  const root = await eventually("the proxy answers", async () => (await get(`http://${p}:8080/api/`).catch(() => undefined)) ?? undefined, 30_000, { everyMs: 250 });
  assert.deepEqual(root, { status: 200, body: "Request to / was successful\n" });
  assert.deepEqual(await get(`http://${p}:8080/api/orders/42?x=1`), { status: 200, body: "Request to /orders/42?x=1 was successful\n" });
  assert.deepEqual(await get(`http://${p}:8080/healthz`), { status: 200, body: "ok\n" });
  assert.equal((await get(`http://${p}:8080/other`)).status, 404);
  // Ten requests in parallel: each connection gets its own handler.
  const many = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`http://${p}:8080/api/n/${i}`)));
  assert.deepEqual(
    many.map((r) => r.body),
    Array.from({ length: 10 }, (_, i) => `Request to /n/${i} was successful\n`),
  );
  // Without the backend, the proxy says so (502), it does not hang.
  await removeContainers([backend]);
  const gone = await get(`http://${p}:8080/api/`);
  assert.equal(gone.status, 502);
  assert.match(gone.body, /^proxy: http:\/\/backend:80\/: /);
});

test("deploy/examples/two-tier.yaml applies as one file: two Deployments and their Services", async () => {
  const env = await startMkctlEnv();
  try {
    const r = await env.mkctl(["apply", "-f", "deploy/examples/two-tier.yaml"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "deployment.apps/backend created\nservice/backend created\ndeployment.apps/proxy created\nservice/proxy created\n");
    const proxy = await env.cs.services.get("proxy", "default");
    assert.equal(proxy.spec?.type, "NodePort");
    assert.ok((proxy.spec?.ports[0]?.nodePort ?? 0) >= 30000, "a NodePort was allocated");
    const backend = await env.cs.services.get("backend", "default");
    assert.deepEqual(backend.spec?.ports.map((p) => `${p.port}->${p.targetPort}`), ["80->http"]);
    assert.deepEqual(backend.spec?.selector, { app: "backend" });
  } finally {
    await env.stop();
  }
});
