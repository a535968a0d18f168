// Kubernetes' own kubectl, every version on the machine, against one `mkctl cluster up` with only
// the kubeconfig mk wrote (KUBECONFIG) and a fresh --cache-dir each: kubectl 1.32 reads the schema
// (explain), gets Tables with READY and STATUS columns, describes with events, deletes and waits,
// asks `auth can-i` as the admin and as a node, and has an unknown field refused by the server; every
// other kubectl.1.NN does version, get nodes, apply (create), rollout status and get pods. It fails,
// never skips, when a kubectl is missing.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { parse, stringify } from "yaml";
import { createCa, issue } from "@mk/kubectl/cluster/pki.js";
import { eventually, LocalCluster } from "./cluster.js";

const run = promisify(execFile);

/** The versions the machine image promises (1.27 … 1.33); any other kubectl.1.NN found runs too. */
const PROMISED = [27, 28, 29, 30, 31, 32, 33];

let cluster: LocalCluster;
let work: string;
let kubectlDir: string;
let versions: number[];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl 1.NN with only KUBECONFIG (and a HOME, PATH) and its own fresh cache directory. */
async function kubectl(minor: number, args: string[], opts: { kubeconfig?: string } = {}): Promise<Result> {
  const env = { PATH: process.env.PATH ?? "", HOME: work, KUBECONFIG: opts.kubeconfig ?? cluster.env.MK_CONFIG ?? "" };
  try {
    const child = run(join(kubectlDir, `kubectl.1.${minor}`), [...args, "--cache-dir", join(work, `cache-1.${minor}`), "--request-timeout", "60s"], { env, timeout: 240_000 });
    child.child.stdin?.end();
    const out = await child;
    return { code: 0, stdout: out.stdout, stderr: out.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

async function ok(minor: number, args: string[], opts: { kubeconfig?: string } = {}): Promise<string> {
  const r = await kubectl(minor, args, opts);
  assert.equal(r.code, 0, `kubectl 1.${minor} ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

function manifest(name: string, replicas: number, extraSpec = ""): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: ${replicas}
${extraSpec}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: web
        image: mk/web:v1
        ports:
        - containerPort: 8080
`;
}

async function manifestFile(name: string, text: string): Promise<string> {
  const path = join(work, `${name}.yaml`);
  await writeFile(path, text);
  return path;
}

/** A kubeconfig for the first node's kubelet identity (system:node:<name>), from its joined credentials. */
async function nodeKubeconfig(): Promise<string> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name === "kubelet.crt") found.push(p);
    }
  };
  await walk(cluster.home);
  const cert = found.find((f) => f.includes(cluster.nodes[0] ?? "?")) ?? found[0];
  assert.ok(cert, `no kubelet.crt under ${cluster.home}`);
  const cfg = parse(readFileSync(cluster.env.MK_CONFIG ?? "", "utf8")) as { users?: { name: string; user: Record<string, string> }[] };
  for (const u of cfg.users ?? []) u.user = { "client-certificate": cert, "client-key": join(dirname(cert), "kubelet.key") };
  const path = join(work, "node-kubeconfig");
  await writeFile(path, stringify(cfg));
  return path;
}

before(async () => {
  const onPath = (await run("bash", ["-c", "command -v kubectl"])).stdout.trim();
  assert.ok(onPath, "kubectl is not on the PATH");
  kubectlDir = dirname(realpathSync(onPath));
  const present = readdirSync(kubectlDir)
    .map((f) => /^kubectl\.1\.(\d+)$/.exec(f)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number);
  for (const v of PROMISED) assert.ok(existsSync(join(kubectlDir, `kubectl.1.${v}`)), `kubectl 1.${v} is missing from ${kubectlDir}`);
  versions = [...new Set([...PROMISED, ...present])].sort((a, b) => a - b);
  work = await mkdtemp(join(tmpdir(), "mk-e2e-kubectl-openapi-"));
  cluster = await LocalCluster.create({ name: "kcoa", nodes: 1 });
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
});

after(async () => {
  await cluster?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("kubectl 1.32: apply creates, rollout status waits, get deploy,rs,pods -o wide has READY and STATUS columns", { timeout: 400_000 }, async () => {
  assert.match(await ok(32, ["apply", "-f", await manifestFile("web-oa", manifest("web-oa", 2))]), /^deployment\.apps\/web-oa created$/m);
  assert.match(await ok(32, ["rollout", "status", "deployment/web-oa", "--timeout=300s"]), /successfully rolled out/);
  const out = await ok(32, ["get", "deploy,rs,pods", "-o", "wide", "-l", "app=web-oa"]);
  assert.match(out, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
  assert.match(out, /^deployment\.apps\/web-oa\s+2\/2\s+2\s+2\s+\S+\s+web\s+mk\/web:v1\s+app=web-oa$/m);
  assert.match(out, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
  assert.match(out, /^replicaset\.apps\/web-oa-[a-z0-9]+\s+2\s+2\s+2\s/m);
  assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s/m);
  assert.equal(out.match(new RegExp(`^pod/web-oa-\\S+\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+\\d+\\.\\d+\\.\\d+\\.\\d+\\s+${cluster.nodes[0]}\\s`, "gm"))?.length, 2, out);
});

test("kubectl 1.32 describe deploy and describe pod show their events", { timeout: 120_000 }, async () => {
  const deploy = await ok(32, ["describe", "deploy", "web-oa"]);
  assert.match(deploy, /^Name:\s+web-oa$/m);
  assert.match(deploy, /^Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable$/m);
  assert.match(deploy, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----/m);
  assert.match(deploy, /Normal\s+ScalingReplicaSet\s+.*Scaled up replica set web-oa-[a-z0-9]+ (to 2|from 0 to 2)/);
  const pod = (await ok(32, ["get", "pods", "-l", "app=web-oa", "-o", "name"])).trim().split("\n")[0] ?? "";
  const described = await ok(32, ["describe", pod]);
  assert.match(described, /^Status:\s+Running$/m);
  assert.match(described, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n\s+----/m);
  assert.match(described, /Normal\s+Started\s+.*Started container web/);
});

test("kubectl 1.32 explain deployment.spec.strategy prints Kubernetes' field descriptions", { timeout: 60_000 }, async () => {
  const out = await ok(32, ["explain", "deployment.spec.strategy"]);
  assert.match(out, /^GROUP:\s+apps\nKIND:\s+Deployment\nVERSION:\s+v1\n/);
  assert.match(out, /^FIELD: strategy <DeploymentStrategy>$/m);
  assert.match(out, /The deployment strategy to use to replace existing pods with new ones\./);
  assert.match(out, /^ {2}rollingUpdate\t<RollingUpdateDeployment>\n\s+Rolling update config params\. Present only if DeploymentStrategyType =/m);
  assert.match(out, /^ {2}type\t<string>\n {2}enum: Recreate, RollingUpdate\n\s+Type of deployment\. Can be "Recreate" or "RollingUpdate"\. Default is/m);
  const rolling = await ok(32, ["explain", "deployment.spec.strategy.rollingUpdate"]);
  assert.match(rolling, /^ {2}maxSurge\t<IntOrString>\n\s+The maximum number of pods that can be scheduled above the desired number of/m);
});

test("kubectl 1.32 auth can-i: mk's authorizer answers for the admin and for a node identity", { timeout: 60_000 }, async () => {
  assert.equal((await ok(32, ["auth", "can-i", "create", "pods"])).trim(), "yes");
  const node = await nodeKubeconfig();
  const create = await kubectl(32, ["auth", "can-i", "create", "pods"], { kubeconfig: node });
  assert.equal(create.code, 1, create.stderr);
  assert.match(create.stdout, /^no - user "system:node:[^"]+" cannot create pod/);
  assert.equal((await ok(32, ["auth", "can-i", "update", `nodes/${cluster.nodes[0]}`], { kubeconfig: node })).trim(), "yes");
  const other = await kubectl(32, ["auth", "can-i", "update", "nodes/someone-else"], { kubeconfig: node });
  assert.equal(other.code, 1);
  assert.match(other.stdout, /^no - .*a node may only change its own Node/);
});

test("kubectl 1.32 auth can-i --list: the rules mk's authorizer gives the admin and a node (SelfSubjectRulesReview)", { timeout: 60_000 }, async () => {
  const admin = await ok(32, ["auth", "can-i", "--list"]);
  assert.match(admin, /^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/m);
  assert.match(admin, /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
  assert.match(admin, /^\s+\[\*\]\s+\[\]\s+\[\*\]$/m);
  const node = cluster.nodes[0] ?? "";
  const asNode = await kubectl(32, ["auth", "can-i", "--list", "-n", "mk-node-lease"], { kubeconfig: await nodeKubeconfig() });
  assert.equal(asNode.code, 0, asNode.stderr);
  assert.match(asNode.stdout, new RegExp(`^nodes\\s+\\[\\]\\s+\\[${node}\\]\\s+\\[create update patch\\]$`, "m"));
  assert.match(asNode.stdout, new RegExp(`^leases\\.coordination\\.k8s\\.io\\s+\\[\\]\\s+\\[${node}\\]\\s+\\[create update patch\\]$`, "m"));
  assert.match(asNode.stdout, /^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
  assert.doesNotMatch(asNode.stdout, /^deployments/m);
  assert.match(asNode.stderr, /the list may be incomplete: node authorizer: the pods bound to node/);
});

test("kubectl 1.32 over HTTP: a node's certificate is Forbidden on another node's pod; another CA's certificate is Unauthorized", { timeout: 120_000 }, async () => {
  const pod = `apiVersion: v1
kind: Pod
metadata:
  name: on-ghost
spec:
  nodeName: ghost-node
  containers:
  - name: c
    image: mk/busybox:1
`;
  assert.match(await ok(32, ["apply", "-f", await manifestFile("on-ghost", pod)]), /^pod\/on-ghost created$/m);
  const node = await nodeKubeconfig();
  const del = await kubectl(32, ["delete", "pod", "on-ghost", "--wait=false"], { kubeconfig: node });
  assert.equal(del.code, 1, del.stdout);
  assert.match(del.stderr, /^Error from server \(Forbidden\): .*user "system:node:[^"]+" cannot delete pod "on-ghost" in namespace "default": the pod is not bound to node/m);
  const label = await kubectl(32, ["label", "pod", "on-ghost", "stolen=yes"], { kubeconfig: node });
  assert.equal(label.code, 1, label.stdout);
  assert.match(label.stderr, /\(Forbidden\)/);
  // The same kubeconfig with a certificate from another CA (claiming the admin's name and group): the
  // server answers 401. (With no credentials at all kubectl asks for a username before it sends
  // anything; that request's 401 is in test/integration/apiserver/auth.test.ts.)
  const rogue = join(work, "rogue");
  await mkdir(rogue);
  const rogueCa = { cert: join(rogue, "ca.crt"), key: join(rogue, "ca.key") };
  await createCa(rogueCa, "rogue");
  await issue(rogueCa, { cert: join(rogue, "admin.crt"), key: join(rogue, "admin.key") }, { subject: "/O=system:masters/CN=admin", usage: "client" });
  const cfg = parse(readFileSync(cluster.env.MK_CONFIG ?? "", "utf8")) as { users?: { name: string; user: Record<string, string> }[] };
  for (const u of cfg.users ?? []) u.user = { "client-certificate": join(rogue, "admin.crt"), "client-key": join(rogue, "admin.key") };
  const rogueConfig = join(work, "rogue-kubeconfig");
  await writeFile(rogueConfig, stringify(cfg));
  const refused = await kubectl(32, ["get", "pods"], { kubeconfig: rogueConfig });
  assert.equal(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /^error: You must be logged in to the server \(Unauthorized: the request carries no client certificate signed by the cluster CA\)$/m);
  const still = JSON.parse(await ok(32, ["get", "pod", "on-ghost", "-o", "json"])) as { metadata: { labels?: Record<string, string>; deletionTimestamp?: string } };
  assert.equal(still.metadata.deletionTimestamp, undefined, "not being deleted");
  assert.equal(still.metadata.labels?.stolen, undefined);
  await ok(32, ["delete", "pod", "on-ghost", "--grace-period=0", "--force"]);
});

test("kubectl 1.32: a manifest with an unknown field is refused naming it, nothing created", { timeout: 60_000 }, async () => {
  const bad = manifest("web-typo", 1).replace("  replicas: 1\n", "  replica: 1\n");
  const r = await kubectl(32, ["apply", "-f", await manifestFile("web-typo", bad)]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(r.stderr, /Error from server \(BadRequest\): error when creating ".*web-typo\.yaml": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec\.replica"/);
  const get = await kubectl(32, ["get", "deploy", "web-typo"]);
  assert.match(get.stderr, /NotFound/);
});

test("kubectl 1.32 delete pod returns when the pod is gone (its containers stopped by the kubelet)", { timeout: 180_000 }, async () => {
  const pod = (await ok(32, ["get", "pods", "-l", "app=web-oa", "-o", "name"])).trim().split("\n")[0] ?? "";
  assert.match(pod, /^pod\/web-oa-/);
  assert.match(await ok(32, ["delete", pod, "--timeout=150s"]), /^pod "web-oa-\S+" deleted$/m);
  // Returned only when gone: the very next read finds nothing, through mkctl as well.
  const after = await kubectl(32, ["get", pod]);
  assert.match(after.stderr, /\(NotFound\)/);
  const viaMkctl = await cluster.mkctl(["get", "pod", pod.slice("pod/".length)]);
  assert.notEqual(viaMkctl.code, 0);
  assert.match(viaMkctl.stderr, /NotFound|not found/);
  assert.match(await ok(32, ["delete", "deploy", "web-oa"]), /deployment\.apps "web-oa" deleted/);
});

test("every other kubectl.1.NN: version, get nodes, apply -f (create), rollout status, get pods", { timeout: 900_000 }, async () => {
  const others = versions.filter((v) => v !== 32);
  assert.ok(others.length >= PROMISED.length - 1, `versions: ${versions.join(", ")}`);
  for (const v of others) {
    const name = `web-v1-${v}`;
    const version = await ok(v, ["version"]);
    assert.match(version, /Server Version: (version\.Info\{.*GitVersion:")?v1\.32\.0\+mk-/, `1.${v}: ${version}`);
    const nodes = await ok(v, ["get", "nodes"]);
    assert.match(nodes, new RegExp(`^${cluster.nodes[0]}\\s+Ready\\s`, "m"), `1.${v}: ${nodes}`);
    assert.match(await ok(v, ["apply", "-f", await manifestFile(name, manifest(name, 1))]), new RegExp(`^deployment\\.apps/${name} created$`, "m"));
    assert.match(await ok(v, ["rollout", "status", `deployment/${name}`, "--timeout=300s"]), /successfully rolled out/);
    const pods = await eventually(
      `1.${v}: the Running pod of ${name}`,
      async () => {
        const out = await ok(v, ["get", "pods", "-l", `app=${name}`]);
        return new RegExp(`^${name}-\\S+\\s+1/1\\s+Running\\s`, "m").test(out) ? out : undefined;
      },
      60_000,
    );
    assert.match(pods, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
    // Leave room on the node for the next version's pod.
    await ok(v, ["delete", "deploy", name, "--wait=false"]);
  }
});
