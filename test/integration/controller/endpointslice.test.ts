// The endpoint controller against a real API server and etcd, with the fake kubelet giving pods
// addresses and readiness: a Service's EndpointSlice and v1 Endpoints list its ready pods with the
// ports their targetPort names resolve to, not-ready pods as not ready, terminating pods as
// terminating, and follow pods and the Service as they change.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { EndpointSliceController } from "@mk/controller/endpointslice/controller.js";
import { silentLogger } from "@mk/controller/log.js";
import { emptyMeta, type EndpointSlice, type Pod, PodSpec, type Service } from "@mk/proto";
import { NotFoundError } from "@mk/proto/client";
import { InformerFactory } from "@mk/proto/informer";
import { serviceObject, servicePort } from "../../harness/service.js";
import { eventually } from "../../harness/wait.js";
import { type ControllerEnv, startEnv } from "./env.js";

/** Generous: the machine is loaded, and each step is a watch event, a sync and a write. */
const WAIT_MS = 30_000;

let env: ControllerEnv;
const abort = new AbortController();
let run: Promise<void>;
let factory: InformerFactory;

before(async () => {
  env = await startEnv({ controllers: [] });
  factory = new InformerFactory(env.client, { logger: silentLogger });
  const c = new EndpointSliceController({
    client: env.client,
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

function pod(name: string, opts: { port: number; finalizers?: string[]; hostname?: string; subdomain?: string }): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, namespace: "default", labels: { app: "web" }, finalizers: opts.finalizers ?? [] }),
    spec: PodSpec.fromPartial({
      containers: [{ name: "web", image: "mk/web:v1", ports: [{ name: "http", containerPort: opts.port, protocol: "TCP" }] }],
      terminationGracePeriodSeconds: 1,
      hostname: opts.hostname ?? "",
      subdomain: opts.subdomain ?? "",
    }),
    status: undefined,
  };
}

function service(): Service {
  return serviceObject("web", { ports: [servicePort({ name: "http", protocol: "TCP", port: 80, targetPort: "http" })], selector: { app: "web" } });
}

async function slices(): Promise<EndpointSlice[]> {
  const list = await env.client.endpointSlices.list({ namespace: "default", labelSelector: "kubernetes.io/service-name=web" });
  return list.items;
}

/** Every endpoint of the Service's slices, by pod name. */
async function endpointsByPod() {
  const out = new Map<string, { ip: string; port: number | undefined; ready: boolean | undefined; terminating: boolean | undefined; hostname: string | undefined }>();
  for (const s of await slices()) {
    for (const e of s.endpoints) {
      out.set(e.targetRef?.name ?? "", { ip: e.addresses[0] ?? "", port: s.ports[0]?.port, ready: e.conditions?.ready, terminating: e.conditions?.terminating, hostname: e.hostname });
    }
  }
  return out;
}

test("ready pods with resolved ports and hostnames; not-ready and terminating pods marked; Endpoints follow", async () => {
  await env.client.pods.create(pod("web-a", { port: 8080, hostname: "a", subdomain: "web" }));
  await env.client.pods.create(pod("web-b", { port: 9090 }));
  await env.client.pods.create(pod("web-c", { port: 8080, finalizers: ["test/hold"] }));
  await env.client.services.create(service());

  // web-a and web-c resolve "http" to 8080, web-b to 9090: two slices.
  await eventually(
    "three ready endpoints in two slices",
    async (why) => {
      const eps = await endpointsByPod();
      const got = [...eps.entries()].map(([n, e]) => `${n}:${e.port}:${e.ready}`).sort();
      const want = ["web-a:8080:true", "web-b:9090:true", "web-c:8080:true"];
      return JSON.stringify(got) === JSON.stringify(want) || why(`endpoints ${got.join(" ")}`);
    },
    WAIT_MS,
  );
  assert.equal((await slices()).length, 2);
  const eps = await endpointsByPod();
  assert.equal(eps.get("web-a")?.hostname, "a", "hostname when the subdomain names the Service");
  assert.equal(eps.get("web-b")?.hostname, undefined);
  const podA = await env.client.pods.get("web-a", "default");
  assert.equal(eps.get("web-a")?.ip, podA.status?.podIp);

  await env.kubelet.markNotReady("default", "web-b");
  await env.client.pods.delete("web-c", "default");
  await eventually(
    "web-b not ready, web-c terminating",
    async (why) => {
      const now = await endpointsByPod();
      const b = now.get("web-b");
      const c = now.get("web-c");
      return (b?.ready === false && c?.terminating === true && c.ready === false) || why(`b=${JSON.stringify(b)} c=${JSON.stringify(c)}`);
    },
    WAIT_MS,
  );

  // The v1 view: web-a ready, web-b not ready, terminating web-c left out.
  await eventually(
    "Endpoints: web-a ready, web-b not ready, web-c gone",
    async (why) => {
      const ep = await env.client.endpoints.get("web", "default").catch(() => undefined);
      const ready = ep?.subsets.flatMap((s) => s.addresses.map((a) => `${a.targetRef?.name}:${s.ports[0]?.port}`)).sort() ?? [];
      const notReady = ep?.subsets.flatMap((s) => s.notReadyAddresses.map((a) => a.targetRef?.name)).sort() ?? [];
      const ok = JSON.stringify(ready) === JSON.stringify(["web-a:8080"]) && JSON.stringify(notReady) === JSON.stringify(["web-b"]);
      return ok || why(`ready ${ready.join(",")} notReady ${notReady.join(",")}`);
    },
    WAIT_MS,
  );

  // A pod that goes is gone from the slices; the Service's deletion takes its slices and Endpoints.
  const c = await env.client.pods.get("web-c", "default");
  if (c.metadata) c.metadata.finalizers = [];
  await env.client.pods.update(c);
  await eventually("web-c gone from the slices", async () => !(await endpointsByPod()).has("web-c"), WAIT_MS);
  await env.client.services.delete("web", "default");
  await eventually("slices and Endpoints gone", async () => {
    const ep = await env.client.endpoints.get("web", "default").catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    return (await slices()).length === 0 && ep === undefined;
  }, WAIT_MS);
});
