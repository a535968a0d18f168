import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { status } from "@grpc/grpc-js";
import { emptyMeta } from "@mk/proto";
import { type Clientset, ConflictError, connect, InvalidError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { deployment, failure, pod } from "./fixtures.js";

let api: TestApiServer;
let cs: Clientset;

before(async () => {
  api = await startTestApiServer({ advertiseAddress: "127.0.0.1" });
  cs = connect({ server: api.address, retry: { attempts: 1 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

test("system namespaces exist from the start", async () => {
  const names = (await cs.namespaces.list()).items.map((n) => n.metadata?.name).sort();
  assert.deepEqual(names, ["default", "mk-node-lease", "mk-system"]);
  const ns = await cs.namespaces.get("default");
  assert.equal(ns.status?.phase, "Active");
});

test("create, get, list, update, delete a Deployment with defaults filled", async () => {
  const created = await cs.deployments.create(deployment("web"));
  const m = created.metadata;
  assert.ok(m);
  assert.equal(created.apiVersion, "apps/v1");
  assert.equal(created.kind, "Deployment");
  assert.match(m.uid, /^[0-9a-f-]{36}$/);
  assert.match(m.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(m.generation, 1);
  assert.match(m.resourceVersion, /^\d+$/);
  const spec = created.spec;
  assert.equal(spec?.replicas, 1);
  assert.equal(spec?.strategy?.type, "RollingUpdate");
  assert.equal(spec?.strategy?.rollingUpdate?.maxSurge, "25%");
  assert.equal(spec?.strategy?.rollingUpdate?.maxUnavailable, "25%");
  assert.equal(spec?.revisionHistoryLimit, 10);
  assert.equal(spec?.progressDeadlineSeconds, 600);
  const ps = spec?.template?.spec;
  assert.equal(ps?.restartPolicy, "Always");
  assert.equal(ps?.terminationGracePeriodSeconds, 30);
  assert.equal(ps?.containers[0]?.imagePullPolicy, "IfNotPresent");
  assert.equal(ps?.containers[0]?.ports[0]?.protocol, "TCP");

  const got = await cs.deployments.get("web", "default");
  assert.deepEqual(got, created);
  const list = await cs.deployments.list({ namespace: "default" });
  assert.equal(list.items.length, 1);
  assert.ok(Number(list.resourceVersion) >= Number(m.resourceVersion));

  assert.ok(got.spec);
  got.spec.replicas = 3;
  const updated = await cs.deployments.update(got);
  assert.equal(updated.spec?.replicas, 3);
  assert.equal(updated.metadata?.generation, 2);
  assert.ok(Number(updated.metadata?.resourceVersion) > Number(m.resourceVersion));

  const del = await cs.deployments.delete("web", "default");
  assert.equal(del.pending, false);
  const e = await failure(() => cs.deployments.get("web", "default"));
  assert.equal(e.code, status.NOT_FOUND);
  assert.equal(e.message, 'deployments.apps "web" not found');
});

test("imagePullPolicy is Always for :latest or no tag", async () => {
  const a = await cs.pods.create(pod("latest-1", { image: "127.0.0.1:5000/web:latest" }), { dryRun: true });
  const b = await cs.pods.create(pod("latest-2", { image: "127.0.0.1:5000/web" }), { dryRun: true });
  const c = await cs.pods.create(pod("latest-3", { image: "127.0.0.1:5000/web:v2" }), { dryRun: true });
  assert.equal(a.spec?.containers[0]?.imagePullPolicy, "Always");
  assert.equal(b.spec?.containers[0]?.imagePullPolicy, "Always");
  assert.equal(c.spec?.containers[0]?.imagePullPolicy, "IfNotPresent");
});

test("validation names every failing field and writes nothing", async () => {
  const bad = deployment("Bad_Name", { replicas: -1 });
  const e = await failure(() => cs.deployments.create(bad));
  assert.ok(e instanceof InvalidError);
  assert.equal(e.code, status.INVALID_ARGUMENT);
  const fields = e.fields.map((f) => f.field);
  assert.ok(fields.includes("metadata.name"), fields.join());
  assert.ok(fields.includes("spec.replicas"), fields.join());
  assert.match(e.message, /^Deployment\.apps "Bad_Name" is invalid: \[metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
  assert.match(e.message, /spec\.replicas: Invalid value: -1: must be greater than or equal to 0/);
  assert.equal((await cs.deployments.list()).items.length, 0);
});

test("selector must match template labels; containers need name and image; quantities parse", async () => {
  const d = deployment("mismatch");
  assert.ok(d.spec?.template?.metadata && d.spec.template.spec);
  d.spec.template.metadata.labels = { app: "x" };
  const c = d.spec.template.spec.containers[0];
  assert.ok(c);
  c.image = "";
  c.resources = { limits: { cpu: "lots" }, requests: {} };
  c.ports[0] = { name: "", containerPort: 70000, hostPort: 0, protocol: "", hostIp: "" };
  d.spec.template.spec.containers.push({ ...c, name: "web", image: "x:1", resources: undefined, ports: [] });
  const e = await failure(() => cs.deployments.create(d));
  assert.ok(e instanceof InvalidError);
  assert.match(e.message, /spec\.template\.metadata\.labels: Invalid value: \{"app":"x"\}: `selector` does not match template `labels`/);
  const fields = e.fields.map((f) => f.field).sort();
  assert.deepEqual(fields, [
    "spec.template.metadata.labels",
    "spec.template.spec.containers[0].image",
    "spec.template.spec.containers[0].ports[0].containerPort",
    "spec.template.spec.containers[0].resources.limits[cpu]",
    "spec.template.spec.containers[1].name",
  ]);
});

test("dry run validates and defaults but writes nothing", async () => {
  const out = await cs.deployments.create(deployment("dry"), { dryRun: true });
  assert.equal(out.spec?.replicas, 1);
  assert.equal((await failure(() => cs.deployments.get("dry", "default"))).code, status.NOT_FOUND);
  const real = await cs.deployments.create(deployment("dry"));
  assert.ok(real.spec);
  real.spec.replicas = 7;
  const dry = await cs.deployments.update(real, { dryRun: true });
  assert.equal(dry.spec?.replicas, 7);
  assert.equal((await cs.deployments.get("dry", "default")).spec?.replicas, 1);
  const d = await cs.deployments.delete("dry", "default", { dryRun: true });
  assert.equal(d.pending, false);
  await cs.deployments.get("dry", "default");
  await cs.deployments.delete("dry", "default");
});

test("a stale resourceVersion is a conflict", async () => {
  const d = await cs.deployments.create(deployment("stale"));
  assert.ok(d.spec);
  d.spec.replicas = 2;
  await cs.deployments.update(d);
  d.spec.replicas = 5;
  const e = await failure(() => cs.deployments.update(d));
  assert.ok(e instanceof ConflictError);
  assert.equal(e.code, status.ABORTED);
  assert.equal(
    e.message,
    'Operation cannot be fulfilled on deployments.apps "stale": the object has been modified; please apply your changes to the latest version and try again',
  );
  // Empty resourceVersion: unconditional.
  assert.ok(d.metadata);
  d.metadata.resourceVersion = "";
  assert.equal((await cs.deployments.update(d)).spec?.replicas, 5);
});

test("50 concurrent read-modify-write updates with retry on conflict are all reflected", async () => {
  const counter = deployment("counter");
  assert.ok(counter.metadata);
  counter.metadata.annotations = { count: "0" };
  await cs.deployments.create(counter);
  let conflicts = 0;
  const bump = async () => {
    for (;;) {
      const d = await cs.deployments.get("counter", "default");
      assert.ok(d.metadata);
      d.metadata.annotations.count = String(Number(d.metadata.annotations.count) + 1);
      try {
        await cs.deployments.update(d);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        conflicts++;
      }
    }
  };
  await Promise.all(Array.from({ length: 50 }, bump));
  const final = await cs.deployments.get("counter", "default");
  assert.equal(final.metadata?.annotations.count, "50");
  assert.ok(conflicts > 0, "expected some conflicts among 50 concurrent writers");
  assert.equal(final.metadata?.generation, 1, "annotations are not spec");
});

test("generation bumps only on spec changes; status and labels keep it", async () => {
  const d = await cs.deployments.create(deployment("gen"));
  assert.ok(d.metadata && d.spec);
  d.metadata.labels.tier = "front";
  const l = await cs.deployments.update(d);
  assert.equal(l.metadata?.generation, 1);
  assert.ok(l.status);
  l.status.observedGeneration = 1;
  l.status.replicas = 4;
  const s = await cs.deployments.updateStatus(l);
  assert.equal(s.metadata?.generation, 1);
  assert.equal(s.status?.replicas, 4);
  // Update ignores status; UpdateStatus ignores spec.
  assert.ok(s.spec && s.status);
  s.status.replicas = 99;
  s.spec.paused = true;
  const u = await cs.deployments.update(s);
  assert.equal(u.status?.replicas, 4);
  assert.equal(u.metadata?.generation, 2);
  assert.ok(u.spec && u.status);
  u.spec.paused = false;
  u.status.replicas = 5;
  const us = await cs.deployments.updateStatus(u);
  assert.equal(us.spec?.paused, true);
  assert.equal(us.status?.replicas, 5);
  assert.equal(us.metadata?.generation, 2);
  // An update that changes nothing writes nothing.
  const same = await cs.deployments.update(us);
  assert.equal(same.metadata?.resourceVersion, us.metadata?.resourceVersion);
});

test("selector is immutable; pod spec is immutable but for images", async () => {
  const d = await cs.deployments.create(deployment("immut"));
  assert.ok(d.spec?.selector && d.spec.template?.metadata);
  d.spec.selector.matchLabels = { app: "other" };
  d.spec.template.metadata.labels = { app: "other" };
  const e = await failure(() => cs.deployments.update(d));
  assert.deepEqual(
    (e as InvalidError).fields.map((f) => f.field),
    ["spec.selector"],
  );
  const p = await cs.pods.create(pod("immut-pod"));
  assert.ok(p.spec?.containers[0]);
  p.spec.containers[0].image = "mk/web:v2";
  const p2 = await cs.pods.update(p);
  assert.equal(p2.spec?.containers[0]?.image, "mk/web:v2");
  assert.ok(p2.spec);
  p2.spec.restartPolicy = "Never";
  const e2 = await failure(() => cs.pods.update(p2));
  assert.equal(e2.code, status.INVALID_ARGUMENT);
  assert.match(e2.message, /spec: Forbidden/);
  p2.spec.restartPolicy = "Always";
  p2.spec.nodeName = "n1";
  const e3 = await failure(() => cs.pods.update(p2));
  assert.match(e3.message, /spec\.nodeName/);
});

test("generateName draws a name; namespace rules", async () => {
  const p = pod("");
  assert.ok(p.metadata);
  p.metadata.generateName = "web-";
  const a = await cs.pods.create(p);
  assert.match(a.metadata?.name ?? "", /^web-[a-z0-9]{5}$/);
  const nf = await failure(() => cs.pods.create(pod("x", { namespace: "nope" })));
  assert.equal(nf.code, status.NOT_FOUND);
  assert.equal(nf.message, 'namespaces "nope" not found');
  const noNs = pod("no-ns");
  assert.ok(noNs.metadata);
  noNs.metadata.namespace = "";
  assert.equal((await cs.pods.create(noNs)).metadata?.namespace, "default");
  const badNs = await failure(() => cs.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name: "Bad.Name" }) }));
  assert.match(badNs.message, /metadata\.name: Invalid value: "Bad\.Name": a lowercase RFC 1123 label/);
});

test("bind sets nodeName once; a second bind fails", async () => {
  const p = await cs.pods.create(pod("bind-me"));
  const bound = await cs.bind("default", "bind-me", "n1", p.metadata?.uid);
  assert.equal(bound.spec?.nodeName, "n1");
  assert.equal(bound.status?.conditions.find((c) => c.type === "PodScheduled")?.status, "True");
  const e = await failure(() => cs.bind("default", "bind-me", "n2"));
  assert.equal(e.code, status.FAILED_PRECONDITION);
  assert.equal(e.message, 'pod bind-me is already assigned to node "n1"');
  const nf = await failure(() => cs.bind("default", "nobody", "n1"));
  assert.equal(nf.code, status.NOT_FOUND);
});

test("scale subresource reads and writes spec.replicas", async () => {
  await cs.deployments.create(deployment("scaled", { labels: { app: "scaled", tier: "web" } }));
  const s = await cs.getScale("Deployment", "default", "scaled");
  assert.equal(s.spec?.replicas, 1);
  assert.equal(s.status?.selector, "app=scaled,tier=web");
  const s2 = await cs.updateScale("Deployment", "default", "scaled", 4);
  assert.equal(s2.spec?.replicas, 4);
  const d = await cs.deployments.get("scaled", "default");
  assert.equal(d.spec?.replicas, 4);
  assert.equal(d.metadata?.generation, 2);
  const bad = await failure(() => cs.updateScale("Deployment", "default", "scaled", -2));
  assert.equal(bad.code, status.INVALID_ARGUMENT);
});

test("label and field selectors; paging with continue", async () => {
  await cs.namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: emptyMeta({ name: "sel" }) });
  for (let i = 0; i < 5; i++) {
    await cs.pods.create(pod(`p${i}`, { namespace: "sel", labels: { app: i % 2 ? "odd" : "even", n: String(i) } }));
  }
  await cs.bind("sel", "p1", "node-a");
  await cs.bind("sel", "p2", "node-b");
  const odd = await cs.pods.list({ namespace: "sel", labelSelector: "app=odd" });
  assert.deepEqual(odd.items.map((p) => p.metadata?.name), ["p1", "p3"]);
  const set = await cs.pods.list({ namespace: "sel", labelSelector: "n in (0,4),app!=odd" });
  assert.deepEqual(set.items.map((p) => p.metadata?.name), ["p0", "p4"]);
  const onA = await cs.pods.list({ fieldSelector: "spec.nodeName=node-a" });
  assert.deepEqual(onA.items.map((p) => p.metadata?.name), ["p1"]);
  const unbound = await cs.pods.list({ namespace: "sel", fieldSelector: "spec.nodeName=,metadata.name!=p0" });
  assert.deepEqual(unbound.items.map((p) => p.metadata?.name), ["p3", "p4"]);
  const badField = await failure(() => cs.pods.list({ fieldSelector: "spec.image=x" }));
  assert.equal(badField.code, status.INVALID_ARGUMENT);
  const badLabel = await failure(() => cs.pods.list({ labelSelector: "a in (" }));
  assert.equal(badLabel.code, status.INVALID_ARGUMENT);

  const page1 = await cs.pods.list({ namespace: "sel", limit: 2 });
  assert.equal(page1.items.length, 2);
  assert.ok(page1.continue);
  const page2 = await cs.pods.list({ namespace: "sel", limit: 2, continue: page1.continue });
  const page3 = await cs.pods.list({ namespace: "sel", limit: 2, continue: page2.continue });
  assert.equal(page3.continue, "");
  assert.deepEqual([...page1.items, ...page2.items, ...page3.items].map((p) => p.metadata?.name), ["p0", "p1", "p2", "p3", "p4"]);
});

test("version names the server and etcd", async () => {
  const v = await cs.version();
  assert.match(v.gitVersion, /^v\d/);
  assert.match(v.etcdVersion, /^3\./);
  // --advertise-address is an IP; the version names the address clients use, with the served port.
  assert.equal(v.advertiseAddress, `127.0.0.1:${api.server.port}`);
});
