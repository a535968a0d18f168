// A poison key against a real API server: a Deployment whose ReplicaSet the API server can never
// accept (its name, <deployment>-<hash>, is longer than 253 characters) fails every sync. The
// deployment controller gives up on it after its retry cap and says so in a Warning event on the
// Deployment, visible through the API, instead of retrying it forever.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Event } from "@mk/proto";
import { type Clientset, connect, EventRecorder } from "@mk/proto/client";
import { DROPPED_REASON, InformerFactory } from "@mk/proto/informer";
import { DeploymentController } from "@mk/controller/deployment/controller.js";
import { silentLogger } from "@mk/controller/log.js";
import { ControllerMetrics } from "@mk/controller/metrics.js";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { waitFor } from "./env.js";
import { deployment } from "./objects.js";

const MAX_RETRIES = 3;

let server: TestApiServer;
let client: Clientset;
let controller: DeploymentController;
const metrics = new ControllerMetrics();
const abort = new AbortController();
let running: Promise<void>;
let factory: InformerFactory;

before(async () => {
  server = await startTestApiServer();
  client = connect({ server: server.address });
  factory = new InformerFactory(client, { logger: silentLogger });
  const recorder = new EventRecorder(client, { component: "mk-controller-manager" });
  controller = new DeploymentController({
    client,
    deploymentInformer: factory.informerFor("Deployment"),
    rsInformer: factory.informerFor("ReplicaSet"),
    podInformer: factory.informerFor("Pod"),
    recorder,
    logger: silentLogger,
    metrics,
    maxRetries: MAX_RETRIES,
  });
  running = controller.run(2, abort.signal);
  factory.start(abort.signal);
});

after(async () => {
  abort.abort();
  await running;
  await factory.stop();
  client.close();
  await server?.stop();
});

const eventsAbout = async (name: string): Promise<Event[]> => (await client.events.list({ namespace: "default" })).items.filter((e) => e.involvedObject?.name === name);

test("a Deployment whose ReplicaSet can never be created is dropped after the retry cap, with a Warning event", async () => {
  const d = deployment("poison", { progressDeadlineSeconds: 2147483647 });
  // 250 characters: a valid Deployment name, but <name>-<pod-template-hash> is not a valid ReplicaSet name.
  const name = `poison-${"x".repeat(243)}`;
  if (d.metadata) d.metadata.name = name;
  const created = await client.deployments.create(d);
  const fine = await client.deployments.create(deployment("fine", { replicas: 0 }));

  const dropped = await waitFor(
    "the poison deployment's drop event",
    async () => (await eventsAbout(name)).find((e) => e.reason === DROPPED_REASON),
    30_000,
  );
  assert.equal(dropped.type, "Warning");
  assert.equal(dropped.involvedObject?.kind, "Deployment");
  assert.equal(dropped.involvedObject?.uid, created.metadata?.uid);
  assert.match(dropped.message, new RegExp(`gave up on default/${name} after ${MAX_RETRIES + 1} failed syncs: .*must be no more than 253 characters`));
  // Each failed try said why on the Deployment as well (the controller's own event).
  const failed = (await eventsAbout(name)).find((e) => e.reason === "ReplicaSetCreateError");
  assert.equal(failed?.type, "Warning");

  // Dropped means no more tries: the metric counted one drop, the tries stay at cap + 1.
  const syncsBefore = await failedSyncs();
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(await failedSyncs(), syncsBefore, "no sync of the dropped key after the drop");
  assert.equal(syncsBefore, MAX_RETRIES + 1);
  const drops = (await metrics.droppedKeys.get()).values;
  assert.deepEqual(
    drops.map((v) => [v.labels.controller, v.value]),
    [["deployment", 1]],
  );

  // The controller still works for everything else.
  await waitFor("the other deployment's ReplicaSet", async () => (await client.replicaSets.list({ namespace: "default", labelSelector: "app=fine" })).items.length === 1);
  assert.ok(fine.metadata?.uid);
});

async function failedSyncs(): Promise<number> {
  const v = (await metrics.syncs.get()).values.find((x) => x.labels.controller === "deployment" && x.labels.result === "error");
  return v?.value ?? 0;
}
