// Services by name end to end (issue 10's acceptance): a real local cluster through mkctl and real
// Docker, the node proxy's rules and the cluster DNS served by the API server behind kube-dns's
// ClusterIP. From a busybox pod: `nslookup web` is exactly the Service's ClusterIP; `http://web/`,
// the full name and, from another namespace, `http://web.default/` answer; 60 requests by name reach
// all 3 pods; `nosuch` is NXDOMAIN; a headless Service's name gives the ready pods' IPs; a pod started
// after the Service has its environment variables. The two-tier example (deploy/examples/two-tier.yaml:
// a proxy reaching its backend by the Service's name) answers through its NodePort on every node's
// address.
import assert from "node:assert/strict";
import { get } from "node:http";
import { after, before } from "node:test";
import { eventually, isReady, LocalCluster, steps } from "./cluster.js";

const WAIT_MS = 180_000;
const step = steps(300_000);
let cluster: LocalCluster;
let clusterIp = "";
let webPods: string[] = [];

before(async () => {
  cluster = await LocalCluster.create({ name: "svcdns" });
});
after(async () => {
  await cluster?.stop();
});

const cs = () => cluster.client();

const client = (name: string, namespace: string, node: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  nodeName: ${node}
  containers:
  - {name: c, image: mk/busybox:1, command: [sleep, "100000"]}
`;

async function exec(pod: string, script: string, signal: AbortSignal, namespace = "default") {
  return await cluster.mkctl(["exec", "-n", namespace, pod, "--", "sh", "-c", script], { signal });
}

function httpGet(host: string, port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve(body));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/** The addresses of busybox nslookup's answer section (after the server's own lines). */
function answers(out: string): string[] {
  const after = out.split(/\n\s*\n/).slice(1).join("\n");
  return [...after.matchAll(/^Address:\s*([0-9.]+)\s*$/gm)].map((m) => m[1] ?? "").sort();
}

step("cluster up; web (3 pods) behind a ClusterIP Service; client pods in two namespaces", async (signal) => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  await cluster.ok(["create", "deployment", "web", "--image=mk/web:v1", "--replicas=3"], { signal });
  await cluster.ok(["create", "service", "clusterip", "web", "--tcp=80:8080"], { signal });
  await cluster.ok(["create", "namespace", "other"], { signal });
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: client("client", "default", cluster.nodes[1] ?? "") });
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: client("client", "other", cluster.nodes[0] ?? "") });
  clusterIp = (await cs().services.get("web", "default")).spec?.clusterIp ?? "";
  assert.match(clusterIp, /^\d+\.\d+\.\d+\.\d+$/);
  webPods = await eventually(
    "3 web pods and both clients Ready",
    async () => {
      const pods = (await cs().pods.list({})).items;
      const web = pods.filter((p) => p.metadata?.namespace === "default" && p.metadata?.name?.startsWith("web-") && isReady(p));
      const clients = pods.filter((p) => p.metadata?.name === "client" && isReady(p));
      return web.length === 3 && clients.length === 2 ? web.map((p) => p.metadata?.name ?? "").sort() : undefined;
    },
    WAIT_MS,
    { signal },
  );
});

step("a pod's resolv.conf names the cluster DNS with Kubernetes' search list and ndots:5", async (signal) => {
  const dns = (await cs().services.get("kube-dns", "kube-system")).spec?.clusterIp ?? "";
  const r = await exec("client", "cat /etc/resolv.conf", signal);
  assert.match(r.stdout, new RegExp(`^nameserver ${dns.replaceAll(".", "\\.")}$`, "m"), r.stdout);
  assert.match(r.stdout, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m, r.stdout);
  assert.match(r.stdout, /^options ndots:5$/m, r.stdout);
});

step("nslookup web returns exactly the Service's ClusterIP", async (signal) => {
  const out = await eventually(
    "nslookup web",
    async () => {
      // busybox's nslookup exits 1 here: after the A answer it goes on through the search list for
      // AAAA and reports those NXDOMAINs, as it does against CoreDNS.
      const r = await exec("client", "nslookup web", signal);
      return answers(r.stdout).length > 0 ? r.stdout : undefined;
    },
    WAIT_MS,
    { signal },
  );
  assert.deepEqual(answers(out), [clusterIp], out);
  assert.match(out, /web\.default\.svc\.cluster\.local/, out);
});

step("http://web/, the full name and, from another namespace, http://web.default/ answer", async (signal) => {
  for (const [ns, url] of [
    ["default", "http://web/"],
    ["default", "http://web.default.svc.cluster.local/"],
    ["other", "http://web.default/"],
  ] as const) {
    const r = await eventually(url, async () => {
      const out = await exec("client", `timeout 10 wget -qO- ${url}`, signal, ns);
      return out.code === 0 ? out.stdout : undefined;
    }, WAIT_MS, { signal });
    assert.match(r, /^mk web v1 web-/, `${url} from ${ns}`);
  }
});

step("60 requests by name reach all 3 pods", async (signal) => {
  const r = await exec("client", "for i in $(seq 1 60); do timeout 10 wget -qO- http://web/ || echo FAILED; done", signal);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 60, r.stdout + r.stderr);
  assert.ok(!lines.includes("FAILED"), `every request answered:\n${r.stdout}`);
  assert.deepEqual([...new Set(lines.map((l) => l.split(" ").at(-1)))].sort(), webPods);
});

step("nslookup nosuch is NXDOMAIN", async (signal) => {
  const r = await exec("client", "nslookup nosuch", signal);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stdout + r.stderr, /nosuch\.default\.svc\.cluster\.local: NXDOMAIN/, r.stdout + r.stderr);
  assert.deepEqual(answers(r.stdout), [], r.stdout);
});

step("a headless Service's name gives the ready pods' IPs", async (signal) => {
  await cluster.ok(["apply", "-f", "-"], {
    signal,
    stdin: "apiVersion: v1\nkind: Service\nmetadata: {name: web-direct}\nspec:\n  clusterIP: None\n  selector: {app: web}\n  ports: [{port: 8080}]\n",
  });
  const ips = (await cs().pods.list({ namespace: "default" })).items.filter((p) => webPods.includes(p.metadata?.name ?? "")).map((p) => p.status?.podIp ?? "").sort();
  const out = await eventually(
    "nslookup web-direct",
    async () => {
      const r = await exec("client", "nslookup web-direct", signal);
      return answers(r.stdout).length === 3 ? r.stdout : undefined;
    },
    WAIT_MS,
    { signal },
  );
  assert.deepEqual(answers(out), ips, out);
});

step("a pod started after the Service has its environment variables", async (signal) => {
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: client("late", "default", cluster.nodes[0] ?? "") });
  await eventually("late Ready", async () => isReady(await cs().pods.get("late", "default")), WAIT_MS, { signal });
  const r = await exec("late", "env", signal);
  assert.match(r.stdout, new RegExp(`^WEB_SERVICE_HOST=${clusterIp.replaceAll(".", "\\.")}$`, "m"), r.stdout);
  assert.match(r.stdout, /^WEB_SERVICE_PORT=80$/m, r.stdout);
  assert.match(r.stdout, /^KUBERNETES_SERVICE_HOST=/m, r.stdout);
});

step("the two-tier example: curl NODE_IP:NODEPORT/api/ on each node's address answers", async (signal) => {
  const out = await cluster.ok(["apply", "-f", "deploy/examples/two-tier.yaml"], { signal });
  assert.match(out, /deployment\.apps\/backend created\nservice\/backend created\ndeployment\.apps\/proxy created\nservice\/proxy created/);
  const nodePort = (await cs().services.get("proxy", "default")).spec?.ports[0]?.nodePort ?? 0;
  assert.ok(nodePort >= 30000, `NodePort ${nodePort}`);
  const nodes = (await cs().nodes.list({})).items;
  const addresses = nodes.map((n) => n.status?.addresses.find((a) => a.type === "InternalIP")?.address ?? "");
  assert.equal(addresses.length, cluster.nodes.length);
  for (const ip of addresses) {
    const body = await eventually(
      `http://${ip}:${nodePort}/api/`,
      async () => {
        const out = await httpGet(ip, nodePort, "/api/").catch(() => "");
        return out.includes("Request to / was successful") ? out : undefined;
      },
      WAIT_MS,
      { signal },
    );
    assert.match(body, /Request to \/ was successful/);
  }
});
