// Which ConfigMaps and Secrets a pod refers to (what the node authorizer lets its node read): env
// valueFrom and envFrom of containers and init containers, configMap and secret volumes, projected
// sources, imagePullSecrets; and nothing from fieldRef, downwardAPI or other volumes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PodSpec, podReferences } from "@mk/proto";

test("podReferences visits every place a pod names a ConfigMap or Secret", () => {
  const spec = PodSpec.fromPartial({
    containers: [
      {
        name: "app",
        env: [
          { name: "A", valueFrom: { configMapKeyRef: { name: "cm-env", key: "k" } } },
          { name: "B", valueFrom: { secretKeyRef: { name: "s-env", key: "k" } } },
          { name: "C", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        ],
        envFrom: [{ configMapRef: { name: "cm-from" } }, { secretRef: { name: "s-from" } }],
      },
    ],
    initContainers: [{ name: "init", env: [{ name: "D", valueFrom: { secretKeyRef: { name: "s-init", key: "k" } } }] }],
    volumes: [
      { name: "v1", configMap: { name: "cm-vol" } },
      { name: "v2", secret: { secretName: "s-vol" } },
      { name: "v3", projected: { sources: [{ configMap: { name: "cm-proj" } }, { secret: { name: "s-proj" } }, { downwardApi: { items: [] } }] } },
      { name: "v4", downwardApi: { items: [{ path: "n", fieldRef: { fieldPath: "metadata.name" } }] } },
      { name: "v5", emptyDir: {} },
    ],
    imagePullSecrets: [{ name: "s-pull" }],
  });
  const refs = podReferences(spec);
  assert.deepEqual([...refs.configMaps].sort(), ["cm-env", "cm-from", "cm-proj", "cm-vol"]);
  assert.deepEqual([...refs.secrets].sort(), ["s-env", "s-from", "s-init", "s-proj", "s-pull", "s-vol"]);
  assert.deepEqual(podReferences(undefined), { configMaps: new Set(), secrets: new Set() });
});
