// `mkctl cluster join --control-plane` (issue 13's acceptance): a running cluster with one etcd member
// and one API server (behind its balancer: `up --balancer`) is joined twice, each member in a
// directory and on ports of its own → 3 etcd members (voters, one leader), 3 API servers, all healthy
// in `cluster status`; the objects made before are there; with the first API server stopped, calls
// through the kubeconfig's address still work; `cluster down` stops the members and `up` starts them;
// `cluster leave` takes one out. The first API server, never restarted, learns the joined members from
// etcd and keeps etcd when its own member stops.
import assert from "node:assert/strict";
import { randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before } from "node:test";
import { EtcdMembership } from "@mk/kubectl/cluster/etcd-members.js";
import { ConfigMap } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { LocalCluster, spanFree, steps } from "./cluster.js";
import { eventually } from "../harness/wait.js";

let cluster: LocalCluster;
const step = steps(300_000);
const taken: [number, number][] = [];

/** `span + 1` ports in a row, free now, clear of the cluster's and of those picked before. */
async function freeSpan(span: number): Promise<number> {
  for (;;) {
    const p = 20_000 + randomInt(12_000);
    if (taken.some(([a, b]) => p <= b && p + span >= a)) continue;
    if (await spanFree(p, span)) {
      taken.push([p, p + span]);
      return p;
    }
  }
}

const flag = (name: string) => Number(cluster.upArgs[cluster.upArgs.indexOf(name) + 1]);

before(async () => {
  cluster = await LocalCluster.create({ name: "cpjoin", nodes: 1, balancer: true });
  taken.push([flag("--api-port"), flag("--api-port") + 12], [flag("--etcd-port"), flag("--etcd-port") + 2]);
});
after(async () => {
  await cluster?.stop();
});

const clusterDir = () => join(cluster.home, "cluster");
const memberDir = (name: string) => join(cluster.home, name, "cluster");

interface StatusRow {
  name: string;
  role: string;
  health: string;
}

async function status(): Promise<{ rows: StatusRow[]; text: string }> {
  const out = await cluster.mkctl(["cluster", "status"]);
  const lines = out.stdout.trim().split("\n");
  assert.match(lines[0] ?? "", /^COMPONENT\s+PID\s+ADDRESS\s+ROLE\s+HEALTH/, out.stdout + out.stderr);
  const rows = lines.slice(1).map((l) => {
    const cells = l.split(/\s{2,}/);
    return { name: cells[0] ?? "", role: cells[3] ?? "", health: cells[4] ?? "" };
  });
  return { rows, text: out.stdout };
}

function supervisorPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { supervisorPid: number }).supervisorPid;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const BEFORE = ["alpha", "beta", "gamma"];

step("cluster up --balancer: one etcd member, one API server behind the cluster's address; objects made", async () => {
  const up = await cluster.up(240);
  assert.equal(up.code, 0, up.stderr);
  for (const name of BEFORE) await cluster.ok(["create", "configmap", name, `--from-literal=name=${name}`]);
  const { rows, text } = await status();
  assert.equal(rows.find((r) => r.name === "etcd")?.role, "etcd leader", text);
  assert.equal(rows.find((r) => r.name === "apiserver-lb")?.role, "balancer 1/1", text);
});

step("join --control-plane twice: 3 etcd members (voters, one leader), 3 API servers, all healthy in cluster status", async () => {
  for (const name of ["cp2", "cp3"]) {
    const etcdPort = await freeSpan(2);
    const apiPort = await freeSpan(1);
    const out = await cluster.ok(["cluster", "join", "--control-plane", "--cluster-dir", clusterDir(), "--dir", memberDir(name), "--node-name", name, "--etcd-port", String(etcdPort), "--api-port", String(apiPort)]);
    assert.equal(out, `control-plane member ${name} joined: etcd-${name} https://127.0.0.1:${etcdPort}, apiserver-${name} 127.0.0.1:${apiPort}\n`);
  }
  // etcd's own view: three voting members, none a learner left behind.
  const pki = join(memberDir("cp2"), "pki");
  const etcd = new EtcdMembership(`127.0.0.1:${flag("--etcd-port")}`, {
    ca: readFileSync(join(pki, "ca.crt")),
    cert: readFileSync(join(pki, "apiserver-etcd-client.crt")),
    key: readFileSync(join(pki, "apiserver-etcd-client.key")),
  });
  try {
    const members = await etcd.list();
    assert.deepEqual(members.map((m) => [m.name, m.isLearner]).sort(), [["cp2", false], ["cp3", false], ["mk", false]]);
  } finally {
    etcd.close();
  }
  await eventually(
    "3 etcd members with a leader, 3 API servers, all healthy",
    async () => {
      const { rows, text } = await status();
      const role = (n: string) => rows.find((r) => r.name === n)?.role;
      assert.deepEqual(["etcd", "etcd-cp2", "etcd-cp3"].map(role).sort(), ["etcd follower", "etcd follower", "etcd leader"], text);
      assert.deepEqual(["apiserver", "apiserver-cp2", "apiserver-cp3"].map(role), ["apiserver", "apiserver", "apiserver"], text);
      assert.equal(role("apiserver-lb"), "balancer 3/3", text);
      assert.ok(rows.length >= 9 && rows.every((r) => r.health === "healthy"), text);
      return true;
    },
    60_000,
    { everyMs: 500 },
  );
});

step("a join under a name already taken is refused, and etcd keeps three members", async () => {
  const r = await cluster.mkctl(["cluster", "join", "--control-plane", "--cluster-dir", clusterDir(), "--dir", memberDir("again"), "--node-name", "cp2", "--etcd-port", String(await freeSpan(2)), "--api-port", String(await freeSpan(1))]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--name cp2: a member of that name already joined/);
  const { rows } = await status();
  assert.equal(rows.filter((x) => x.name.startsWith("etcd")).length, 3);
});

step("the data is intact: the objects made before the joins are read through the kubeconfig's address", async () => {
  const cs = cluster.client();
  for (const name of BEFORE) assert.deepEqual((await cs.resource("ConfigMap").get(name, "default")).data, { name });
  assert.match(await cluster.ok(["get", "configmap", ...BEFORE, "-o", "name"]), /configmap\/alpha\nconfigmap\/beta\nconfigmap\/gamma\n/);
});

step("the first API server, running since before the joins, learns the joined etcd members from etcd and stays ready with its own member stopped", async () => {
  const api = cluster.component("apiserver");
  // Its --etcd-servers names the cluster's own member only: the others it read from etcd's member list.
  const cmdline = readFileSync(`/proc/${api.pid}/cmdline`, "utf8").split("\0");
  assert.equal(cmdline[cmdline.indexOf("--etcd-servers") + 1]?.split(",").length, 1, cmdline.join(" "));
  await eventually(
    "the first API server's log: it switched to three etcd members (--etcd-member-sync, 30 s)",
    (why) => {
      const switches = readFileSync(join(cluster.logs, "apiserver.log"), "utf8")
        .split("\n")
        .filter((l) => l.includes("etcd members changed"))
        .map((l) => (JSON.parse(l) as { to?: string[] }).to ?? []);
      return switches.at(-1)?.length === 3 || why(JSON.stringify(switches));
    },
    90_000,
    { everyMs: 500 },
  );
  await cluster.ok(["cluster", "node", "stop", "etcd"]);
  try {
    await eventually("the first API server ready without its own etcd member", async () => (await fetch(api.healthUrl, { signal: AbortSignal.timeout(3_000) })).ok, 60_000, { everyMs: 500 });
    assert.equal(cluster.component("apiserver").pid, api.pid, "the same process, not restarted");
  } finally {
    await cluster.ok(["cluster", "node", "start", "etcd"]);
  }
  await eventually(
    "every component healthy again",
    async (why) => {
      const { rows, text } = await status();
      return rows.every((r) => r.health === "healthy") || why(text);
    },
    60_000,
    { everyMs: 500 },
  );
});

step("with the first API server stopped, calls through the kubeconfig's address go to the joined ones", async () => {
  assert.equal((await cluster.ok(["cluster", "node", "stop", "apiserver"])).trim(), "node/apiserver stopped");
  const cs = cluster.client();
  for (let i = 0; i < 5; i++) {
    await cluster.ok(["create", "configmap", `after-${i}`, `--from-literal=i=${i}`]);
    assert.equal(await cluster.ok(["get", "configmap", `after-${i}`, "-o", "jsonpath={.data.i}"]), String(i));
    await cs.resource("ConfigMap").create(ConfigMap.fromPartial({ metadata: { ...emptyMeta(), name: `client-${i}`, namespace: "default" }, data: { i: String(i) } }));
    assert.deepEqual((await cs.resource("ConfigMap").get("alpha", "default")).data, { name: "alpha" });
  }
  const { rows, text } = await status();
  assert.equal(rows.find((r) => r.name === "apiserver")?.health, "stopped", text);
  await cluster.ok(["cluster", "node", "start", "apiserver"]);
});

step("cluster down stops the joined members too", async () => {
  const members = ["cp2", "cp3"].map((n) => supervisorPid(memberDir(n)));
  assert.ok(members.every(alive));
  const down = await cluster.mkctl(["cluster", "down"]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stderr, /control-plane member cp2 stopped .*\ncontrol-plane member cp3 stopped .*\n(.*\n)*local cluster stopped/);
  await eventually("the members' supervisors to exit", () => members.every((pid) => !alive(pid)), 30_000, { everyMs: 200 });
  for (const n of ["cp2", "cp3"]) {
    const out = await cluster.mkctl(["cluster", "status", "--dir", memberDir(n)]);
    assert.equal(out.code, 1, `member ${n} still runs: ${out.stdout}`);
  }
});

step("cluster up again starts the members with it; its API server now talks to every etcd member, and stays ready with its own member stopped", async () => {
  const up = await cluster.up(240);
  assert.equal(up.code, 0, up.stderr);
  assert.match(up.stderr, /starting control-plane member cp2 .*\nstarting control-plane member cp3 /);
  await eventually(
    "3 etcd members with a leader, 3 API servers, all healthy after the restart",
    async () => {
      const { rows, text } = await status();
      const role = (n: string) => rows.find((r) => r.name === n)?.role;
      assert.deepEqual(["etcd", "etcd-cp2", "etcd-cp3"].map(role).sort(), ["etcd follower", "etcd follower", "etcd leader"], text);
      assert.ok(rows.every((r) => r.health === "healthy"), text);
      return true;
    },
    120_000,
    { everyMs: 500 },
  );
  for (const name of BEFORE) assert.deepEqual((await cluster.client().resource("ConfigMap").get(name, "default")).data, { name });
  const state = JSON.parse(readFileSync(join(clusterDir(), "state.json"), "utf8")) as { components: { name: string; pid: number; healthUrl: string }[] };
  const api = state.components.find((c) => c.name === "apiserver");
  assert.ok(api);
  const cmdline = readFileSync(`/proc/${api.pid}/cmdline`, "utf8").split("\0");
  assert.equal(cmdline[cmdline.indexOf("--etcd-servers") + 1]?.split(",").length, 3, cmdline.join(" "));
  // The cluster's own etcd member stopped: its API server still reads through the joined members.
  await cluster.ok(["cluster", "node", "stop", "etcd"]);
  await eventually("the first API server ready without its own etcd member", async () => (await fetch(api.healthUrl, { signal: AbortSignal.timeout(3_000) })).ok, 60_000, { everyMs: 500 });
  assert.equal(await cluster.ok(["get", "configmap", "alpha", "-o", "jsonpath={.data.name}"]), "alpha");
  await cluster.ok(["cluster", "node", "start", "etcd"]);
});

step("cluster leave: the member's etcd member is removed (two voters left), its API server leaves the balancer, the rest serve", async () => {
  const leave = await cluster.mkctl(["cluster", "leave", "--dir", memberDir("cp3")]);
  assert.equal(leave.code, 0, leave.stderr);
  assert.match(leave.stderr, /etcd member cp3 removed\ncontrol-plane member cp3 stopped; its etcd data deleted/);
  const pki = join(memberDir("cp2"), "pki");
  const etcd = new EtcdMembership(`127.0.0.1:${flag("--etcd-port")}`, {
    ca: readFileSync(join(pki, "ca.crt")),
    cert: readFileSync(join(pki, "apiserver-etcd-client.crt")),
    key: readFileSync(join(pki, "apiserver-etcd-client.key")),
  });
  try {
    assert.deepEqual((await etcd.list()).map((m) => [m.name, m.isLearner]).sort(), [["cp2", false], ["mk", false]]);
  } finally {
    etcd.close();
  }
  assert.equal(existsSync(join(memberDir("cp3"), "data")), false, "the removed member's etcd data is gone");
  await eventually(
    "2 etcd members, 2 API servers, all healthy, cp3 gone from status",
    async () => {
      const { rows, text } = await status();
      assert.ok(!rows.some((r) => r.name.endsWith("-cp3")), text);
      assert.equal(rows.find((r) => r.name === "apiserver-lb")?.role, "balancer 2/2", text);
      assert.ok(rows.every((r) => r.health === "healthy"), text);
      return true;
    },
    60_000,
    { everyMs: 500 },
  );
  assert.equal(await cluster.ok(["get", "configmap", "beta", "-o", "jsonpath={.data.name}"]), "beta");
});
