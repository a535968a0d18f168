// Kubernetes' own kubectl against `mkctl cluster up`, with nothing but the kubeconfig mk wrote
// (KUBECONFIG) and a fresh discovery cache: the HTTP API on the gRPC address answers version,
// discovery and `get` with Tables. It fails, never skips, when kubectl 1.32 is missing.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { eventually, LocalCluster } from "./cluster.js";

const run = promisify(execFile);

/** kubectl 1.32: beside the kubectl on the PATH (google-cloud-sdk keeps kubectl.1.NN there). */
async function kubectl132(): Promise<string> {
  const onPath = (await run("bash", ["-c", "command -v kubectl"])).stdout.trim();
  assert.ok(onPath, "kubectl is not on the PATH");
  const binary = join(dirname(realpathSync(onPath)), "kubectl.1.32");
  assert.ok(existsSync(binary), `kubectl 1.32 is missing: ${binary}`);
  return binary;
}

let cluster: LocalCluster;
let cacheDir: string;
let binary: string;

async function kubectl(args: string[]): Promise<string> {
  const env = { PATH: process.env.PATH ?? "", HOME: cacheDir, KUBECONFIG: cluster.env.MK_CONFIG ?? "" };
  try {
    const out = await run(binary, [...args, "--cache-dir", cacheDir, "--request-timeout", "30s"], { env, timeout: 60_000 });
    return out.stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    assert.fail(`kubectl ${args.join(" ")} failed\nstdout: ${e.stdout}\nstderr: ${e.stderr}`);
  }
}

before(async () => {
  binary = await kubectl132();
  cacheDir = await mkdtemp(join(tmpdir(), "mk-e2e-kubectl-cache-"));
  cluster = await LocalCluster.create({ name: "kctl", nodes: 1 });
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  await cluster.ok(["apply", "-f", "deploy/examples/web.yaml"]);
});

after(async () => {
  await cluster?.mkctl(["delete", "deploy", "web", "--timeout=30s"]);
  await cluster?.stop();
  if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
});

test("kubectl version: the server reports Kubernetes 1.32 with mk's version", async () => {
  const out = await kubectl(["version"]);
  assert.match(out, /Server Version: v1\.32\.0\+mk-/);
  assert.doesNotMatch(out, /WARNING/);
});

test("kubectl get nodes -o wide: the node with its wide columns", async () => {
  const out = await kubectl(["get", "nodes", "-o", "wide"]);
  const [header, ...rows] = out.trim().split("\n");
  assert.match(header ?? "", /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP/);
  assert.equal(rows.length, 1, out);
  assert.match(rows[0] ?? "", new RegExp(`^${cluster.nodes[0]}\\s+(Ready|NotReady)\\s`));
});

test("kubectl api-resources: every kind from discovery, with short names and groups", async () => {
  const out = await kubectl(["api-resources"]);
  assert.match(out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  assert.match(out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
  assert.match(out, /^nodes\s+no\s+v1\s+false\s+Node$/m);
});

test("kubectl get pods: the Deployment's pods with mk's columns, -A with their namespace", async () => {
  const out = await eventually("the web pods in kubectl get pods", async () => {
    const text = await kubectl(["get", "pods"]);
    return /^web-/m.test(text) ? text : undefined;
  }, 120_000);
  assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
  assert.match(out, /^web-[a-z0-9]+-[a-z0-9]+\s+\d\/\d\s+/m);
  const all = await kubectl(["get", "pods", "-A", "--show-labels"]);
  assert.match(all, /^default\s+web-\S+\s+.*app=web/m);
});

test("kubectl get pods -w: the watch streams Table rows; a scale-up's new pod appears", async () => {
  const env = { PATH: process.env.PATH ?? "", HOME: cacheDir, KUBECONFIG: cluster.env.MK_CONFIG ?? "" };
  const before = new Set((await kubectl(["get", "pods", "-o", "name"])).trim().split("\n"));
  const child = spawn(binary, ["get", "pods", "-w", "--cache-dir", cacheDir], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
  try {
    await eventually("the watch's first rows", () => /^web-/m.test(out), 60_000);
    await cluster.ok(["scale", "deploy", "web", "--replicas", String(before.size + 1)]);
    const fresh = await eventually("a new pod in the watch", () => out.split("\n").map((l) => l.split(/\s+/)[0] ?? "").find((n) => n.startsWith("web-") && !before.has(`pod/${n}`)), 120_000);
    assert.ok(fresh);
    assert.equal(out.match(/^NAME\s+READY/gm)?.length, 1, `one header, then rows: ${out}`);
  } finally {
    child.kill();
  }
  assert.doesNotMatch(err, /error/i, err);
});

test("where kubectl and mkctl both print something, they print the same (get nodes, deploy, rs, pods; -o wide; -o name; describe deploy, pod)", async () => {
  const pod = (await kubectl(["get", "pods", "-o", "name"])).trim().split("\n")[0]?.replace("pod/", "") ?? "";
  // The two are taken seconds apart under load (mkctl starts a node process), so an AGE may differ by
  // those seconds: ages are compared as <age>. Pods may change between the two: compare a few times.
  const ages = (text: string) => text.replace(/(?<=\s)\d+[smhd](\d+[smh])?(?=\s)/g, "<age>");
  for (const args of [["get", "nodes"], ["get", "deploy"], ["get", "rs", "-o", "wide"], ["get", "pods", "-o", "wide"], ["get", "pods", "-o", "name"], ["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"], ["describe", "deploy", "web"], ["describe", "pod", pod]]) {
    await eventually(
      `the same output of ${args.join(" ")}`,
      async (why) => {
        const [k, m] = [await kubectl(args), await cluster.ok(args)];
        return ages(k) === ages(m) || why(`kubectl:\n${k}\nmkctl:\n${m}`);
      },
      20_000,
      { everyMs: 1000 },
    );
  }
});
