// The offline images deploy/images/build.sh makes, and the etcd the test harness runs from one of them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import {
  RUN_ID,
  RUN_LABEL,
  containersByLabel,
  docker,
  imageExists,
  removeContainers,
  removeRunContainers,
} from "../../harness/docker.js";
import { freePort, startEtcd } from "../../harness/etcd.js";
import { eventually } from "../../harness/wait.js";

const IMAGES = ["mk/pause:1", "mk/busybox:1", "mk/web:v1", "mk/web:v2", "mk/backend:v1", "mk/proxy:v1", "mk/etcd:3.4"];

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "deploy", "images", "build.sh"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("repository root not found above the test");
    dir = up;
  }
  return dir;
}

async function buildImages(): Promise<{ output: string; ms: number }> {
  const started = performance.now();
  return await new Promise((resolve, reject) => {
    execFile("bash", [join(repoRoot(), "deploy", "images", "build.sh")], { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`build.sh failed: ${stderr}`, { cause: err }));
      else resolve({ output: stdout + stderr, ms: performance.now() - started });
    });
  });
}

/** `docker run` options every container here gets: never pull, and this run's label for cleanup. */
const RUN = ["--pull", "never", "--label", `${RUN_LABEL}=${RUN_ID}`];

async function getText(url: string, timeoutMs = 10_000): Promise<string> {
  return await eventually(`${url} to answer 200`, async (why) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return res.ok ? await res.text() : why(`HTTP ${res.status}`);
  }, timeoutMs);
}

/** Stops a container the way a kubelet would (TERM, 10 s grace) and says how long it took. */
async function timedStop(id: string): Promise<number> {
  const started = performance.now();
  await docker(["stop", "--time", "10", id]);
  return performance.now() - started;
}

before(async () => {
  await buildImages();
});

after(async () => {
  await removeRunContainers();
});

test("build.sh leaves every image tagged, and a second run is quiet and quick", async () => {
  for (const tag of IMAGES) assert.ok(await imageExists(tag), `${tag} exists`);
  const again = await buildImages();
  assert.equal(again.output, "", "nothing to say when everything is up to date");
  assert.ok(again.ms < 2_000, `up-to-date build.sh took ${again.ms.toFixed(0)} ms`);
});

test("mk/busybox:1 has a shell and the full applet set", async () => {
  assert.equal(await docker(["run", "--rm", ...RUN, "mk/busybox:1", "sh", "-c", "echo ok"]), "ok");
  const applets = await docker(["run", "--rm", ...RUN, "mk/busybox:1", "sh", "-c", "ls /bin | wc -l"]);
  assert.ok(Number(applets) > 200, `applets linked into /bin: ${applets}`);
  const found = await docker(["run", "--rm", ...RUN, "mk/busybox:1", "sh", "-c", "for a in wget nc httpd ip; do readlink /bin/$a; done"]);
  assert.deepEqual(found.split("\n"), Array(4).fill("/bin/busybox"), "applets are links to busybox in /bin");
});

for (const version of ["v1", "v2"]) {
  test(`mk/web:${version} serves a page naming its version on 8080 and stops at once on SIGTERM`, async () => {
    const port = await freePort();
    const id = await docker(["run", "--detach", ...RUN, "--publish", `127.0.0.1:${port}:8080`, `mk/web:${version}`]);
    try {
      const page = await getText(`http://127.0.0.1:${port}/`);
      assert.match(page, new RegExp(`^mk web ${version} ${id.slice(0, 12)}\\n$`));
      assert.equal(await getText(`http://127.0.0.1:${port}/healthz`), "ok\n");
      assert.equal(await getText(`http://127.0.0.1:${port}/version`), `${version}\n`);
      const ms = await timedStop(id);
      assert.ok(ms < 2_000, `docker stop took ${ms.toFixed(0)} ms`);
      assert.equal(await docker(["inspect", "--format", "{{.State.ExitCode}}", id]), "0");
    } finally {
      await removeContainers([id]);
    }
  });
}

test("mk/pause:1 sleeps until SIGTERM, then exits 0 at once", async () => {
  const id = await docker(["run", "--detach", ...RUN, "mk/pause:1"]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await docker(["inspect", "--format", "{{.State.Running}}", id]), "true");
    const ms = await timedStop(id);
    assert.ok(ms < 2_000, `docker stop took ${ms.toFixed(0)} ms`);
    assert.equal(await docker(["inspect", "--format", "{{.State.ExitCode}}", id]), "0");
  } finally {
    await removeContainers([id]);
  }
});

test("startEtcd gives a healthy etcd from mk/etcd:3.4, and stop removes its container", async () => {
  const started = performance.now();
  const etcd = await startEtcd();
  const ms = performance.now() - started;
  try {
    assert.match(etcd.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(await getText(`${etcd.endpoint}/health`), /"health":"true"/);
    assert.ok((await containersByLabel()).includes(etcd.containerId));
    // Measured here at about 1 s, most of it Docker starting the container; 5 s leaves room for a busy machine.
    assert.ok(ms < 5_000, `startEtcd took ${ms.toFixed(0)} ms`);
  } finally {
    await etcd.stop();
  }
  assert.ok(!(await containersByLabel()).includes(etcd.containerId), "container removed");
  await etcd.stop(); // idempotent
});

test("the examples are Kubernetes-shaped and name only offline images with explicit tags", () => {
  const dir = join(repoRoot(), "deploy", "examples");
  const images: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml"))) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      assert.deepEqual(doc.errors, [], file);
      const obj: unknown = doc.toJS();
      assert.ok(isRecord(obj) && typeof obj.apiVersion === "string" && typeof obj.kind === "string", file);
      collectImages(obj, images);
    }
  }
  assert.ok(images.includes("mk/web:v1"));
  for (const image of images) assert.ok(IMAGES.includes(image), `${image} is built offline`);
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function collectImages(v: unknown, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) collectImages(x, out);
  } else if (isRecord(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k === "image" && typeof x === "string") out.push(x);
      else collectImages(x, out);
    }
  }
}
