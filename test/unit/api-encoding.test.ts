// Kubernetes' JSON exactly, for the fields mk supports: the documentation's nginx-deployment, created
// and defaulted, must encode as Kubernetes returns it, or a second `kubectl apply` of the unchanged
// file would find differences and say `configured` instead of `unchanged`. The expected JSON below is
// written by hand from the shape Kubernetes 1.32 returns for that Deployment (`kubectl get -o json`).
import assert from "node:assert/strict";
import { test } from "node:test";
import { STRATEGIES } from "@mk/apiserver";
import type { Deployment } from "@mk/proto";
import { fromK8s, type JsonObject, KINDS, toK8s } from "@mk/proto/api";

/** https://kubernetes.io/docs/concepts/workloads/controllers/deployment/ (controllers/nginx-deployment.yaml). */
const NGINX_DEPLOYMENT: JsonObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "nginx-deployment", labels: { app: "nginx" } },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: "nginx" } },
    template: {
      metadata: { labels: { app: "nginx" } },
      spec: { containers: [{ name: "nginx", image: "nginx:1.14.2", ports: [{ containerPort: 80 }] }] },
    },
  },
};

/**
 * What Kubernetes returns, minus the fields mk does not carry (the template's
 * `creationTimestamp: null`, dnsPolicy, securityContext, containers' resources and
 * terminationMessage*), with the metadata the API server assigns set to fixed values.
 */
const KUBERNETES_SHAPE: JsonObject = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: {
    creationTimestamp: "2026-12-04T19:00:00Z",
    generation: 1,
    labels: { app: "nginx" },
    name: "nginx-deployment",
    namespace: "default",
    resourceVersion: "1234",
    uid: "0b1f7a4e-2c55-4f2a-9d0e-6a3c1b2d4e5f",
  },
  spec: {
    progressDeadlineSeconds: 600,
    replicas: 3,
    revisionHistoryLimit: 10,
    selector: { matchLabels: { app: "nginx" } },
    strategy: { rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" }, type: "RollingUpdate" },
    template: {
      metadata: { labels: { app: "nginx" } },
      spec: {
        containers: [{ image: "nginx:1.14.2", imagePullPolicy: "IfNotPresent", name: "nginx", ports: [{ containerPort: 80, protocol: "TCP" }] }],
        dnsPolicy: "ClusterFirst",
        restartPolicy: "Always",
        schedulerName: "default-scheduler",
        terminationGracePeriodSeconds: 30,
      },
    },
  },
};

function created(manifest: JsonObject): Deployment {
  const d = fromK8s(KINDS.Deployment, manifest) as Deployment;
  STRATEGIES.Deployment.defaults(d);
  Object.assign(d.metadata ?? {}, { namespace: "default", uid: "0b1f7a4e-2c55-4f2a-9d0e-6a3c1b2d4e5f", resourceVersion: "1234", generation: 1, creationTimestamp: "2026-12-04T19:00:00Z" });
  return d;
}

test("the documentation's nginx-deployment, defaulted, encodes as Kubernetes returns it", () => {
  assert.deepEqual(toK8s(KINDS.Deployment, created(NGINX_DEPLOYMENT)), KUBERNETES_SHAPE);
});

test("int-or-string fields keep the form given: maxSurge 1 is a number, \"25%\" a string; ports stay numbers", () => {
  const manifest = structuredClone(NGINX_DEPLOYMENT);
  (manifest.spec as JsonObject).strategy = { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: "10%" } };
  const spec = toK8s(KINDS.Deployment, created(manifest)).spec as { strategy: { rollingUpdate: JsonObject } };
  assert.deepEqual(spec.strategy.rollingUpdate, { maxSurge: 1, maxUnavailable: "10%" });
});

test("empty fields are omitted, as Kubernetes omits them: no status, no empty lists or maps", () => {
  const json = JSON.stringify(toK8s(KINDS.Deployment, created(NGINX_DEPLOYMENT)));
  assert.doesNotMatch(json, /\[\]|\{\}|""|"status"/);
});
