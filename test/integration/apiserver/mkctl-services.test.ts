// mkctl's Service verbs against a real API server: create service clusterip|nodeport, get
// svc|endpoints|endpointslices with kubectl's columns, a Service in apply -f, delete svc.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { runMkctl } from "../../harness/mkctl.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";

let api: TestApiServer;

before(async () => {
  api = await startTestApiServer({ serviceClusterIpRange: "10.101.0.0/24" });
});
after(async () => {
  await api?.stop();
});

async function ok(...args: string[]): Promise<string> {
  const r = await runMkctl(["--server", api.address, ...args], { env: { MK_CONFIG: "/nonexistent" } });
  assert.equal(r.code, 0, `mkctl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** The table's rows as arrays of cells (columns split on two or more spaces). */
function rows(out: string): string[][] {
  return out
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));
}

test("create service clusterip and nodeport; get svc prints kubectl's columns", async () => {
  assert.equal(await ok("create", "service", "clusterip", "web", "--tcp=80:8080"), "service/web created\n");
  assert.equal(await ok("create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=31234"), "service/np created\n");
  const table = rows(await ok("get", "svc"));
  assert.deepEqual(table[0], ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
  const byName = new Map(table.slice(1).map((r) => [r[0], r]));
  assert.deepEqual(byName.get("kubernetes")?.slice(1, 5), ["ClusterIP", "10.101.0.1", "<none>", "443/TCP"]);
  assert.equal(byName.get("web")?.[1], "ClusterIP");
  assert.match(byName.get("web")?.[2] ?? "", /^10\.101\.0\.\d+$/);
  assert.equal(byName.get("web")?.[4], "80/TCP");
  assert.deepEqual([byName.get("np")?.[1], byName.get("np")?.[4]], ["NodePort", "80:31234/TCP"]);
  const svc = await api.server.storage.get("Service", "default", "web");
  assert.deepEqual(svc?.spec?.ports.map((p) => `${p.name} ${p.port} ${p.targetPort}`), ["80-8080 80 8080"]);
  assert.deepEqual(svc?.spec?.selector, { app: "web" });
});

test("get endpoints and endpointslices print kubectl's columns", async () => {
  const ep = rows(await ok("get", "endpoints", "kubernetes"));
  assert.deepEqual(ep[0], ["NAME", "ENDPOINTS", "AGE"]);
  assert.equal(ep[1]?.[1], `127.0.0.1:${api.server.port}`);
  const slices = rows(await ok("get", "endpointslices", "kubernetes"));
  assert.deepEqual(slices[0], ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]);
  assert.deepEqual(slices[1]?.slice(0, 4), ["kubernetes", "IPv4", String(api.server.port), "127.0.0.1"]);
});

test("a Service in apply -f, and delete svc", async () => {
  const manifest = `apiVersion: v1
kind: Service
metadata:
  name: applied
spec:
  type: NodePort
  selector:
    app: applied
  ports:
  - name: http
    port: 80
    targetPort: http
`;
  const r = await runMkctl(["--server", api.address, "apply", "-f", "-"], { env: { MK_CONFIG: "/nonexistent" }, stdin: manifest });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "service/applied created\n");
  const first = await api.server.storage.get("Service", "default", "applied");
  const nodePort = first?.spec?.ports[0]?.nodePort ?? 0;
  assert.ok(nodePort >= 30000 && nodePort <= 32767);
  // Applied again unchanged: the allocated ClusterIP and nodePort are kept.
  const again = await runMkctl(["--server", api.address, "apply", "-f", "-"], { env: { MK_CONFIG: "/nonexistent" }, stdin: manifest });
  assert.equal(again.code, 0, again.stderr);
  const second = await api.server.storage.get("Service", "default", "applied");
  assert.equal(second?.spec?.clusterIp, first?.spec?.clusterIp);
  assert.equal(second?.spec?.ports[0]?.nodePort, nodePort);
  assert.equal(await ok("delete", "svc", "applied", "web", "np"), 'service "applied" deleted\nservice "web" deleted\nservice "np" deleted\n');
  assert.equal(await api.server.allocations.ports.used(), 0);
  assert.equal(await api.server.allocations.ips.used(), 1);
});
