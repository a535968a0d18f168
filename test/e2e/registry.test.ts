// The cluster's image registry (issue criterion 3), end to end through the mkctl binary: `cluster up`
// starts docker-registry beside the control plane; an image tagged and pushed there with the Docker
// CLI, its local tag then removed, runs as a Deployment of two replicas whose nodes pull it back.
// A local cluster's nodes share the host's engine, which trusts registries on 127.0.0.0/8 without
// configuration.
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { DockerError, docker, imageExists } from "../harness/docker.js";
import { LocalCluster, steps, waitConverged } from "./cluster.js";

const step = steps(300_000);
let cluster: LocalCluster;
let registry = "";
/** This run's image in the cluster's registry: unique per process, removed by tag afterwards. */
let image = "";
const pushed: string[] = [];

before(async () => {
  cluster = await LocalCluster.create({ name: "reg" });
});

after(async () => {
  await cluster.mkctl(["delete", "deployment", "regweb", "--timeout=30s"]);
  await cluster.stop();
  // The tags this run made (pushed, then pulled back by the kubelet), by name only.
  for (const tag of [...pushed, image].filter((t, i, all) => t && all.indexOf(t) === i)) {
    try {
      if (await imageExists(tag)) await docker(["rmi", tag]);
    } catch (err) {
      if (!(err instanceof DockerError)) throw err;
      console.error(`# could not remove ${tag}: ${err.message}`);
    }
  }
});

step("cluster up starts the registry before the nodes and prints its address", async () => {
  const up = await cluster.up();
  assert.equal(up.code, 0, up.stderr);
  const m = /✔ registry\s+ready at (127\.0\.0\.1:(\d+))/.exec(up.stderr);
  assert.ok(m?.[1] && m[2], `no "registry ready at" line in:\n${up.stderr}`);
  registry = m[1];
  // Its port is the API port + 6.
  const api = Number(cluster.upArgs[cluster.upArgs.indexOf("--api-port") + 1]);
  assert.equal(Number(m[2]), api + 6);
  assert.match(up.stderr, new RegExp(`images: docker push ${registry.replaceAll(".", "\\.")}/NAME:TAG`));
  const status = await cluster.ok(["cluster", "status"]);
  assert.match(status, new RegExp(`^registry\\s+\\d+\\s+${registry.replaceAll(".", "\\.")}\\s+healthy\\s+\\d+\\s+\\S+registry\\.log$`, "m"));
  const info = await cluster.ok(["cluster-info"]);
  assert.match(info, new RegExp(`^image registry is running at ${registry.replaceAll(".", "\\.")}$`, "m"));
  const v2 = await fetch(`http://${registry}/v2/`);
  assert.equal(v2.status, 200);
  image = `${registry}/e2e/web:reg${process.pid}`;
});

step("docker tag + docker push to the cluster's registry; the local tag removed", async () => {
  await docker(["tag", "mk/web:v1", image]);
  pushed.push(image);
  const out = await docker(["push", image], { timeoutMs: 120_000 });
  assert.match(out, /digest: sha256:[0-9a-f]{64}/);
  await docker(["rmi", image]);
  assert.equal(await imageExists(image), false);
  const catalog = (await (await fetch(`http://${registry}/v2/_catalog`)).json()) as { repositories: string[] };
  assert.ok(catalog.repositories.includes("e2e/web"), JSON.stringify(catalog));
  const tags = (await (await fetch(`http://${registry}/v2/e2e/web/tags/list`)).json()) as { tags: string[] };
  assert.ok(tags.tags.includes(`reg${process.pid}`), JSON.stringify(tags));
});

step("a Deployment of the pushed image: two pods Running, the image pulled from the registry", async (signal) => {
  const created = await cluster.ok(["create", "deployment", "regweb", `--image=${image}`, "--replicas=2"]);
  assert.equal(created.trim(), "deployment.apps/regweb created");
  const c = await waitConverged(cluster.client(), cluster.nodes, { deployment: "regweb", replicas: 2, image }, 180_000, signal);
  assert.equal(c.pods.length, 2);
  // The engine has the image again, and mk/web:v1's content: it came back from the registry.
  assert.equal(await imageExists(image), true);
  assert.equal(await docker(["image", "inspect", "--format", "{{.Id}}", image]), await docker(["image", "inspect", "--format", "{{.Id}}", "mk/web:v1"]));
  const events = await cluster.ok(["get", "events"]);
  assert.match(events, new RegExp(`Pulled\\s+pod/regweb-\\S+\\s+Successfully pulled image "${image.replaceAll(".", "\\.")}"`));
  // The registry served the manifest: its log shows the GET.
  const pulls = await fetch(`http://${registry}/v2/e2e/web/manifests/reg${process.pid}`, {
    headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
  });
  assert.equal(pulls.status, 200);
});
