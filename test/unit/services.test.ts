// Services' pure parts: the allocators' bitmap and ranges, port resolution and targetPort checks
// (@mk/proto/api), the Service strategy's validation, the endpoint controller's grouping, and
// kubectl's PORT(S) column.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Bitmap, IpRange, PortRange, STRATEGIES } from "@mk/apiserver";
import { desiredGroups, subsetsOf } from "@mk/controller/endpointslice/desired.js";
import { emptyMeta, type Pod, PodSpec, PodStatus, resolveTargetPort, type Service, type ServicePort, type ServiceSpec, servicePorts, targetPortError } from "@mk/proto";
import { serviceObject } from "../harness/service.js";

test("bitmap: set, clear, count, and the first free index from a start, wrapping around", () => {
  const m = new Bitmap(10);
  for (const i of [0, 1, 2, 8, 9]) m.set(i);
  assert.equal(m.count(), 5);
  assert.equal(m.firstFree(8), 3, "wraps past the end");
  assert.equal(m.firstFree(4), 4);
  m.clear(1);
  assert.equal(m.firstFree(0), 1);
  for (let i = 0; i < 10; i++) m.set(i);
  assert.equal(m.firstFree(0), undefined, "full");
  const copy = new Bitmap(10, m.bytes);
  assert.equal(copy.count(), 10, "round-trips through its bytes");
});

test("IP range: a /28 has 14 addresses, from .1 to .14; outside addresses have no index", () => {
  const r = new IpRange("10.96.0.0/28");
  assert.equal(r.size, 14);
  assert.equal(r.ipAt(0), "10.96.0.1");
  assert.equal(r.ipAt(13), "10.96.0.14");
  assert.equal(r.indexOf("10.96.0.1"), 0);
  assert.equal(r.indexOf("10.96.0.0"), undefined, "network address");
  assert.equal(r.indexOf("10.96.0.15"), undefined, "broadcast address");
  assert.equal(r.indexOf("10.97.0.1"), undefined);
  assert.equal(new IpRange("10.96.0.0/12").ipAt(0), "10.96.0.1");
  assert.throws(() => new IpRange("10.96.0.0"), /invalid service CIDR/);
  assert.throws(() => new IpRange("10.96.0.0/31"), /invalid service CIDR/);
});

test("port range: 30000-32767 holds 2768 ports", () => {
  const r = PortRange.parse("30000-32767");
  assert.equal(r.size, 2768);
  assert.equal(r.indexOf(80), undefined);
  assert.equal(r.portAt(r.indexOf(31234) ?? -1), 31234);
  assert.throws(() => PortRange.parse("32767-30000"), /invalid port range/);
});

function pod(ports: { name: string; containerPort: number; protocol?: string }[]): Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name: `p${ports[0]?.containerPort ?? 0}`, namespace: "default", labels: { app: "web" } }),
    spec: PodSpec.fromPartial({ containers: [{ name: "c", image: "mk/web:v1", ports }] }),
    status: PodStatus.fromPartial({ phase: "Running", podIp: "10.0.0.1", conditions: [{ type: "Ready", status: "True" }] }),
  };
}

function service(ports: ServicePort[] = [], more: Partial<ServiceSpec> = {}): Service {
  return serviceObject("web", { ports, selector: { app: "web" }, ...more });
}

test("targetPort resolution: a number as is, a name through the pod's container ports and protocol", () => {
  const p = pod([
    { name: "http", containerPort: 8080 },
    { name: "dns", containerPort: 5353, protocol: "UDP" },
  ]);
  assert.equal(resolveTargetPort({ name: "", protocol: "TCP", port: 80, targetPort: "9000", nodePort: 0 }, p), 9000);
  assert.equal(resolveTargetPort({ name: "", protocol: "TCP", port: 80, targetPort: "", nodePort: 0 }, p), 80, "defaults to port");
  assert.equal(resolveTargetPort({ name: "", protocol: "TCP", port: 80, targetPort: "http", nodePort: 0 }, p), 8080);
  assert.equal(resolveTargetPort({ name: "", protocol: "TCP", port: 53, targetPort: "dns", nodePort: 0 }, p), undefined, "dns is UDP");
  assert.equal(resolveTargetPort({ name: "", protocol: "UDP", port: 53, targetPort: "dns", nodePort: 0 }, p), 5353);
  assert.equal(targetPortError("http"), undefined);
  assert.equal(targetPortError("8080"), undefined);
  assert.match(targetPortError("70000") ?? "", /between 1 and 65535/);
  assert.match(targetPortError("Not_A_Name") ?? "", /lower-case/);
});

test("Service validation names each failing field", () => {
  const s = STRATEGIES.Service;
  const check = (svc: Service) => {
    s.defaults(svc);
    return s.validate(svc).map((e) => e.field);
  };
  assert.deepEqual(check(service([{ name: "a", protocol: "", port: 80, targetPort: "", nodePort: 0 }])), []);
  assert.deepEqual(
    check(
      service([
        { name: "a", protocol: "", port: 80, targetPort: "", nodePort: 0 },
        { name: "a", protocol: "", port: 81, targetPort: "", nodePort: 0 },
      ]),
    ),
    ["spec.ports[1].name"],
  );
  assert.deepEqual(
    check(
      service([
        { name: "a", protocol: "", port: 80, targetPort: "", nodePort: 0 },
        { name: "b", protocol: "", port: 80, targetPort: "", nodePort: 0 },
      ]),
    ),
    ["spec.ports[1]"],
  );
  assert.deepEqual(check(service([{ name: "", protocol: "", port: 80, targetPort: "", nodePort: 30080 }])), ["spec.ports[0].nodePort"]);
  assert.deepEqual(check(service([{ name: "", protocol: "", port: 0, targetPort: "8080", nodePort: 0 }])), ["spec.ports[0].port"]);
  assert.deepEqual(check(service([], { clusterIp: "10.0.0.300" })), ["spec.clusterIP", "spec.ports"]);
  assert.deepEqual(check(service([], { clusterIp: "None" })), [], "a headless Service may have no ports");
});

test("endpoints: pods grouped by resolved ports; not-ready and terminating marked; Endpoints leave terminating out", () => {
  const a = pod([{ name: "http", containerPort: 8080 }]);
  const b = pod([{ name: "http", containerPort: 9090 }]);
  const c = pod([{ name: "http", containerPort: 8080 }]);
  if (a.metadata) a.metadata.name = "a";
  if (b.metadata) b.metadata.name = "b";
  if (c.metadata) c.metadata.name = "c";
  if (b.status) b.status.conditions = [{ type: "Ready", status: "False", lastProbeTime: "", lastTransitionTime: "", reason: "", message: "" }];
  if (c.metadata) c.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  const other = pod([{ name: "http", containerPort: 8080 }]);
  if (other.metadata) other.metadata.labels = { app: "other" };
  const svc = service([{ name: "http", protocol: "TCP", port: 80, targetPort: "http", nodePort: 0 }]);
  const groups = desiredGroups(svc, [a, b, c, other]);
  assert.deepEqual(
    groups.map((g) => ({ port: g.ports[0]?.port, pods: g.endpoints.map((e) => `${e.targetRef?.name}:${e.conditions?.ready}:${e.conditions?.terminating}`) })),
    [
      { port: 8080, pods: ["a:true:false", "c:false:true"] },
      { port: 9090, pods: ["b:false:false"] },
    ],
  );
  const subsets = subsetsOf(groups);
  assert.deepEqual(
    subsets.map((s) => ({ ready: s.addresses.map((x) => x.targetRef?.name), notReady: s.notReadyAddresses.map((x) => x.targetRef?.name) })),
    [
      { ready: ["a"], notReady: [] },
      { ready: [], notReady: ["b"] },
    ],
  );
  // A targetPort name no container has: the pod is in a slice without ports, not in the Endpoints
  // (unless the Service has no ports at all).
  const unnamed = pod([{ name: "web", containerPort: 8080 }]);
  const none = desiredGroups(svc, [unnamed]);
  assert.deepEqual(none.map((g) => [g.ports.length, g.endpoints.length]), [[0, 1]]);
  assert.deepEqual(subsetsOf(none, true), []);
  assert.equal(subsetsOf(none, false).length, 1);
});

test("PORT(S) as kubectl prints it", () => {
  const svc = service([
    { name: "a", protocol: "TCP", port: 80, targetPort: "", nodePort: 31234 },
    { name: "b", protocol: "UDP", port: 53, targetPort: "", nodePort: 0 },
  ]);
  assert.equal(servicePorts(svc), "80:31234/TCP,53/UDP");
});
