// A rollout behind a Service drains (issue 10's acceptance): 10 replicas of mk/web with a readiness
// probe and a preStop hook behind a ClusterIP, a client pod requesting through the Service's name every
// 100 ms while the image goes v1 → v2: no request fails and the answers switch from v1 to v2. Scaled to
// 0 a request is refused at once; back to 2 it is served again once the pods are Ready.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { eventually, isReady, LocalCluster, steps } from "./cluster.js";

const WAIT_MS = 300_000;
const step = steps(600_000);
let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.create({ name: "svcroll" });
});
after(async () => {
  await cluster?.stop();
});

const cs = () => cluster.client();

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: roll}
spec:
  replicas: 10
  selector: {matchLabels: {app: roll}}
  template:
    metadata: {labels: {app: roll}}
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: web
        image: mk/web:v1
        ports: [{name: http, containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /healthz, port: http}
          periodSeconds: 1
        lifecycle:
          preStop:
            sleep: {seconds: 5}
---
apiVersion: v1
kind: Service
metadata: {name: roll}
spec:
  selector: {app: roll}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  containers:
  - {name: c, image: mk/busybox:1, command: [sleep, "100000"]}
`;

async function exec(script: string, signal: AbortSignal) {
  return await cluster.mkctl(["exec", "client", "--", "sh", "-c", script], { signal });
}

const ready = async (n: number) => {
  const pods = (await cs().pods.list({ namespace: "default", labelSelector: "app=roll" })).items;
  return pods.filter((p) => isReady(p) && !p.metadata?.deletionTimestamp).length === n && pods.length === n;
};

step("cluster up; 10 replicas of v1 behind a ClusterIP, a client pod", async (signal) => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  await cluster.ok(["apply", "-f", "-"], { signal, stdin: DEPLOYMENT });
  await eventually("10 Ready and the client", async () => (await ready(10)) && isReady(await cs().pods.get("client", "default")), WAIT_MS, { signal });
  await eventually("served by name", async () => (await exec("timeout 10 wget -qO- http://roll/", signal)).stdout.startsWith("mk web v1"), WAIT_MS, { signal });
});

step("v1 → v2 while a client requests every 100 ms: no request fails, answers switch to v2", async (signal) => {
  // The loop runs in the client pod, in the background, writing one line per request.
  await exec("(while [ ! -f /tmp/stop ]; do timeout 5 wget -qO- http://roll/ || echo FAILED; sleep 0.1; done > /tmp/requests 2>&1) >/dev/null 2>&1 &", signal);
  await eventually("the loop is requesting", async () => Number((await exec("wc -l < /tmp/requests", signal)).stdout.trim()) > 0, 60_000, { signal });
  await cluster.ok(["set", "image", "deployment", "roll", "web=mk/web:v2"], { signal });
  await cluster.ok(["rollout", "status", "deployment", "roll", "--timeout=600s"], { signal });
  await eventually("10 Ready on v2", () => ready(10), WAIT_MS, { signal });
  // Terminating v1 pods finish their preStop before the loop stops.
  await new Promise((r) => setTimeout(r, 10_000));
  await exec("touch /tmp/stop; sleep 2", signal);
  const lines = (await exec("cat /tmp/requests", signal)).stdout.trim().split("\n");
  const failed = lines.filter((l) => !l.startsWith("mk web v"));
  assert.deepEqual(failed, [], `${failed.length} of ${lines.length} requests failed`);
  assert.ok(lines.length >= 50, `${lines.length} requests`);
  assert.match(lines[0] ?? "", /^mk web v1 /);
  assert.match(lines.at(-1) ?? "", /^mk web v2 /);
  // The requests of the 10 s after the rollout finished: v2 only (no terminating v1 pod still served).
  assert.deepEqual(lines.slice(-20).filter((l) => !l.startsWith("mk web v2")), [], "only v2 once the rollout is done");
});

step("scaled to 0: refused at once; back to 2: served again once Ready", async (signal) => {
  const clusterIp = (await cs().services.get("roll", "default")).spec?.clusterIp ?? "";
  await cluster.ok(["scale", "deployment", "roll", "--replicas=0"], { signal });
  await eventually("no pods", () => ready(0), WAIT_MS, { signal });
  await eventually(
    "refused",
    async () => {
      const r = await exec(`wget -qO- http://${clusterIp}/ 2>&1`, signal);
      return /refused/.test(r.stdout + r.stderr);
    },
    WAIT_MS,
    { signal },
  );
  // The first refusal may come from a SYN sent while the last endpoint's rule was going (its retry
  // after 1 s meets the REJECT); from then on every request is refused at once.
  for (let i = 0; i < 3; i++) {
    const r = await exec(`time wget -qO- http://${clusterIp}/ 2>&1`, signal);
    const out = r.stdout + r.stderr;
    assert.match(out, /refused/, out);
    // A dropped SYN is retried after 1 s; REJECT answers the first.
    const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(out);
    assert.ok(m, out);
    assert.ok(Number(m[1]) * 60 + Number(m[2]) < 1, `refused at once:\n${out}`);
  }
  await cluster.ok(["scale", "deployment", "roll", "--replicas=2"], { signal });
  await eventually("2 Ready", () => ready(2), WAIT_MS, { signal });
  await eventually("served again", async () => (await exec("timeout 10 wget -qO- http://roll/", signal)).stdout.startsWith("mk web v2"), WAIT_MS, { signal });
});
