// mkctl expose and describe svc beside Kubernetes' kubectl 1.32, both on one kubeconfig against a
// TLS API server: the same expose makes the same Service (labels, selector, ports, protocols, type),
// prints the same line and fails with the same errors; describe svc prints kubectl's layout line for
// line, plus, when a port has no endpoints, one line saying why (no pod matches the selector, none of
// the matching pods is ready, no container has the targetPort's name). The endpoint controller runs
// in-process; pods get their address and readiness written as a kubelet would.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EndpointSliceController } from "@mk/controller/endpointslice/controller.js";
import { silentLogger } from "@mk/controller/log.js";
import { ConfigMap, type ContainerPort, Deployment, emptyMeta, Pod, PodStatus, ReplicaSet, type Service } from "@mk/proto";
import { InformerFactory } from "@mk/proto/informer";
import { eventually } from "../../harness/wait.js";
import { type KubectlEnv, startKubectlEnv } from "./mkctl.js";

let env: KubectlEnv;
const abort = new AbortController();
let run: Promise<void>;
let factory: InformerFactory;

before(async () => {
  env = await startKubectlEnv();
  factory = new InformerFactory(env.cs, { logger: silentLogger });
  const c = new EndpointSliceController({
    client: env.cs,
    serviceInformer: factory.informerFor("Service"),
    podInformer: factory.informerFor("Pod"),
    sliceInformer: factory.informerFor("EndpointSlice"),
    endpointsInformer: factory.informerFor("Endpoints"),
    logger: silentLogger,
  });
  run = c.run(2, abort.signal);
  factory.start(abort.signal);
});

after(async () => {
  abort.abort();
  await run;
  await factory?.stop();
  await env?.stop();
});

const port = (containerPort: number, protocol = "TCP", name = ""): ContainerPort => ({ name, containerPort, protocol, hostPort: 0, hostIp: "" });

function template(app: string, ports: ContainerPort[][]) {
  return {
    metadata: emptyMeta({ labels: { app } }),
    spec: { containers: ports.map((p, i) => ({ name: `c${i}`, image: "mk/web:v1", ports: p })) },
  };
}

function deployment(name: string, ports: ContainerPort[][], labels: Record<string, string> = { app: name, tier: "web" }): Deployment {
  return Deployment.fromPartial({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: emptyMeta({ name, namespace: "default", labels }),
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: template(name, ports) },
  });
}

/** What expose decides, without what the API server allocates. */
function shape(s: Service) {
  return {
    labels: s.metadata?.labels,
    selector: s.spec?.selector,
    type: s.spec?.type,
    sessionAffinity: s.spec?.sessionAffinity,
    ports: s.spec?.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol, nodePort: p.nodePort > 0 })),
  };
}

/** Runs `expose` through both tools, naming the Services k-<n> and mk-<n>; returns both Services. */
async function exposeBoth(n: string, args: string[]): Promise<{ k: Service; mk: Service }> {
  const k = await env.kubectl([...args, `--name=k-${n}`]);
  assert.equal(k.code, 0, `kubectl ${args.join(" ")}: ${k.stderr}`);
  assert.equal(k.stdout, `service/k-${n} exposed\n`);
  const mk = await env.mkctl([...args, `--name=mk-${n}`]);
  assert.equal(mk.code, 0, `mkctl ${args.join(" ")}: ${mk.stderr}`);
  assert.equal(mk.stdout, `service/mk-${n} exposed\n`);
  return { k: await env.cs.services.get(`k-${n}`, "default"), mk: await env.cs.services.get(`mk-${n}`, "default") };
}

test("expose deployment|rs|pod|svc makes the Service kubectl makes", async () => {
  await env.cs.deployments.create(deployment("web", [[port(8080, "TCP", "http")]]));
  await env.cs.deployments.create(deployment("multi", [[port(8080), port(9090)], [port(5353, "UDP")]]));
  await env.cs.resource("ReplicaSet").create(
    ReplicaSet.fromPartial({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: emptyMeta({ name: "rs1", namespace: "default", labels: { app: "rs1" } }), spec: { replicas: 0, selector: { matchLabels: { app: "rs1" } }, template: template("rs1", [[port(7070)]]) } }),
  );
  await env.cs.pods.create(Pod.fromPartial({ metadata: emptyMeta({ name: "dns", namespace: "default", labels: { app: "dns", role: "resolver" } }), spec: { containers: [{ name: "d", image: "mk/busybox:1", ports: [port(53, "UDP")] }] } }));

  const cases: [string, string[]][] = [
    ["explicit", ["expose", "deployment", "web", "--port=80", "--target-port=8080"]],
    ["inferred", ["expose", "deploy/web"]],
    ["named-target", ["expose", "deployment", "web", "--port=80", "--target-port=http", "--type=NodePort"]],
    ["multi", ["expose", "deployment", "multi"]],
    ["multi-udp", ["expose", "deployment", "multi", "--port=5353"]],
    ["rs", ["expose", "replicaset", "rs1", "--target-port=7070", "--labels=team=a,env=test", "--selector=app=rs1,extra=x", "--session-affinity=ClientIP"]],
    ["pod", ["expose", "pod", "dns"]],
    ["pod-tcp", ["expose", "pod/dns", "--port=53", "--protocol=TCP"]],
    ["svc", ["expose", "svc", "k-multi", "--type=NodePort"]],
  ];
  for (const [n, args] of cases) {
    const { k, mk } = await exposeBoth(n, args);
    assert.deepEqual(shape(mk), shape(k), `mkctl ${args.join(" ")} makes what kubectl makes`);
  }
  // What that was, spelled out for three of them (so that a shared mistake shows too).
  const get = async (n: string) => shape(await env.cs.services.get(`mk-${n}`, "default"));
  assert.deepEqual((await get("explicit")).ports, [{ name: "", port: 80, targetPort: "8080", protocol: "TCP", nodePort: false }]);
  assert.deepEqual((await get("explicit")).selector, { app: "web" });
  assert.deepEqual((await get("explicit")).labels, { app: "web", tier: "web" });
  assert.deepEqual(
    (await get("multi")).ports?.map((p) => `${p.name} ${p.port} ${p.targetPort} ${p.protocol}`),
    ["port-1 8080 8080 TCP", "port-2 9090 9090 TCP", "port-3 5353 5353 UDP"],
  );
  assert.deepEqual((await get("pod")).ports?.map((p) => `${p.port}/${p.protocol}`), ["53/UDP"]);
  assert.deepEqual((await get("pod")).selector, { app: "dns", role: "resolver" });
});

test("expose fails as kubectl does, and writes nothing", async () => {
  await env.cs.deployments.create(deployment("noports", [[]]));
  await env.cs.pods.create(Pod.fromPartial({ metadata: emptyMeta({ name: "unlabelled", namespace: "default" }), spec: { containers: [{ name: "c", image: "mk/web:v1", ports: [port(80)] }] } }));
  await env.cs.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: emptyMeta({ name: "settings", namespace: "default" }), data: { a: "b" } }));
  const before = (await env.cs.services.list({ namespace: "default" })).items.length;
  const cases: string[][] = [
    ["expose", "deployment", "noports"],
    ["expose", "pod", "unlabelled", "--port=80"],
    ["expose", "svc", "kubernetes", "--name=k2"],
    ["expose", "deployment", "nope", "--port=80"],
    ["expose", "configmap", "settings", "--port=80"],
    ["expose", "deployment"],
    ["expose"],
    ["expose", "deployment", "noports", "--port=abc"],
  ];
  for (const args of cases) {
    const k = await env.kubectl(args);
    const mk = await env.mkctl(args);
    assert.equal(k.code, 1, `kubectl ${args.join(" ")} fails`);
    assert.equal(mk.code, 1, `mkctl ${args.join(" ")} fails`);
    assert.equal(mk.stderr, k.stderr, `mkctl ${args.join(" ")}: kubectl's error`);
    assert.equal(mk.stdout, "");
  }
  // A type mk's API does not serve: refused by the API server, naming the field (kubectl prints
  // Kubernetes' wording of the same Status; mkctl prints what kubectl prints against Kubernetes).
  const lb = await env.mkctl(["expose", "deployment", "noports", "--port=80", "--type=LoadBalancer", "--name=lb"]);
  assert.equal(lb.code, 1);
  assert.equal(lb.stderr, 'The Service "lb" is invalid: spec.type: Unsupported value: "LoadBalancer": supported values: "ClusterIP", "NodePort"\n');
  assert.equal((await env.cs.services.list({ namespace: "default" })).items.length, before, "nothing was written");
});

/** The Service's describe through both tools; mkctl's lines with its one explanation line removed. */
async function describeBoth(name: string): Promise<{ k: string; mk: string; why: string[] }> {
  const k = await env.kubectl(["describe", "svc", name]);
  assert.equal(k.code, 0, k.stderr);
  const mk = await env.mkctl(["describe", "svc", name]);
  assert.equal(mk.code, 0, mk.stderr);
  const lines = mk.stdout.split("\n");
  const why = lines.filter((l) => /^\s+\(.*\)$/.test(l)).map((l) => l.trim());
  return { k: k.stdout, mk: lines.filter((l) => !/^\s+\(.*\)$/.test(l)).join("\n"), why };
}

async function readyPod(name: string, app: string, ip: string, ready: boolean, ports: ContainerPort[]): Promise<void> {
  const created = await env.cs.pods.create(Pod.fromPartial({ metadata: emptyMeta({ name, namespace: "default", labels: { app } }), spec: { containers: [{ name: "c", image: "mk/web:v1", ports }] } }));
  created.status = PodStatus.fromPartial({
    phase: "Running",
    podIp: ip,
    podIps: [{ ip }],
    hostIp: "127.0.0.1",
    conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: "", message: "", lastProbeTime: "", lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
  });
  await env.cs.pods.updateStatus(created);
}

test("describe svc: kubectl's layout, line for line (ClusterIP with endpoints, NodePort, headless)", async () => {
  for (let i = 1; i <= 4; i++) await readyPod(`shop-${i}`, "shop", `10.250.0.${i}`, true, [port(8080, "TCP", "http")]);
  await env.cs.deployments.create(deployment("shopdep", [[port(8080)]]));
  const svc = await env.mkctl(["expose", "deployment", "shopdep", "--port=80", "--target-port=8080", "--name=shop-np", "--type=NodePort", "--selector=app=shop"]);
  assert.equal(svc.code, 0, svc.stderr);
  assert.equal((await env.mkctl(["expose", "svc", "shop-np", "--name=shop", "--target-port=http"])).code, 0);
  assert.equal((await env.mkctl(["expose", "svc", "shop-np", "--name=shop-headless", "--cluster-ip=None"])).code, 0);
  await eventually(
    "the endpoints of shop",
    async () => {
      const ep = await env.cs.endpoints.get("shop", "default").catch(() => undefined);
      return (ep?.subsets.flatMap((s) => s.addresses).length ?? 0) === 4 ? true : undefined;
    },
    30_000,
  );
  for (const name of ["shop", "shop-np", "shop-headless"]) {
    const { k, mk, why } = await describeBoth(name);
    assert.equal(mk, k, `describe svc ${name}`);
    assert.deepEqual(why, []);
  }
  const { mk } = await describeBoth("shop");
  assert.match(mk, /^Endpoints: +10\.250\.0\.\d:8080,10\.250\.0\.\d:8080,10\.250\.0\.\d:8080 \+ 1 more\.\.\.$/m);

  // get svc -o wide (SELECTOR) and get ep: mkctl's table is kubectl's, cell for cell (AGE aside).
  for (const args of [["get", "svc", "shop", "shop-np", "shop-headless", "-o", "wide"], ["get", "ep", "shop", "shop-np"]]) {
    const k = await env.kubectl(args);
    const m = await env.mkctl(args);
    assert.equal(m.code, 0, m.stderr);
    const withoutAge = (out: string) => {
      const rows = out.trim().split("\n").map((l) => l.split(/\s{2,}/));
      const age = rows[0]?.indexOf("AGE") ?? -1;
      return rows.map((r) => r.filter((_, i) => i !== age));
    };
    assert.deepEqual(withoutAge(m.stdout), withoutAge(k.stdout), `mkctl ${args.join(" ")}`);
  }
  const wide = (await env.mkctl(["get", "svc", "shop", "-o", "wide"])).stdout;
  assert.match(wide, /^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE\s+SELECTOR$/m);
  assert.match(wide, /^shop\s+ClusterIP\s+\S+\s+<none>\s+80\/TCP\s+\S+\s+app=shop$/m);
  assert.match((await env.mkctl(["get", "ep", "shop"])).stdout, /^shop\s+10\.250\.0\.\d:8080,10\.250\.0\.\d:8080,10\.250\.0\.\d:8080 \+ 1 more\.\.\.\s+\S+$/m);
});

test("describe svc says why a port has no endpoints: no pod matches, none is ready, no container has the port's name", async () => {
  await readyPod("slow-1", "slow", "10.250.1.1", false, [port(8080, "TCP", "http")]);
  await readyPod("slow-2", "slow", "10.250.1.2", false, [port(8080, "TCP", "http")]);
  await readyPod("named-1", "named", "10.250.2.1", true, [port(8080, "TCP", "web")]);
  await env.cs.deployments.create(deployment("why", [[port(8080)]]));
  const mk = async (args: string[]) => assert.equal((await env.mkctl(args)).code, 0, args.join(" "));
  await mk(["expose", "deployment", "why", "--port=80", "--name=lonely", "--selector=app=nobody"]);
  await mk(["expose", "deployment", "why", "--port=80", "--name=slow", "--selector=app=slow", "--target-port=http"]);
  await mk(["expose", "deployment", "why", "--port=80", "--name=named", "--selector=app=named", "--target-port=http"]);
  // Give the controller time to write what it writes (for `slow`, the two not-ready addresses).
  await eventually("slow's Endpoints", async () => ((await env.cs.endpoints.get("slow", "default").catch(() => undefined))?.subsets.flatMap((s) => s.notReadyAddresses).length === 2 ? true : undefined), 30_000);
  const want: Record<string, string> = {
    lonely: "(no pod in namespace default matches the selector app=nobody)",
    slow: "(2 pods match the selector, none is ready)",
    named: '(no container of the 1 matching pod has a TCP port named "http")',
  };
  for (const [name, reason] of Object.entries(want)) {
    const { k, mk: text, why } = await describeBoth(name);
    assert.equal(text, k, `describe svc ${name}: kubectl's layout besides the reason`);
    // kubectl prints <none> without a slice, nothing for not-ready endpoints, the bare address of an
    // endpoint whose port did not resolve (its slice has no ports).
    const shown: Record<string, RegExp> = { lonely: /^Endpoints: +<none>$/m, slow: /^Endpoints: +$/m, named: /^Endpoints: +10\.250\.2\.1$/m };
    assert.match(text, shown[name] ?? /^$/);
    assert.deepEqual(why, [reason], name);
  }
});
