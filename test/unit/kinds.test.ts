import assert from "node:assert/strict";
import { test } from "node:test";
import { KINDS, Pod, emptyMeta, objectKey, lookupKind, unwrap, wrap } from "@mk/proto";

test("lookupKind accepts every name a kubectl user types", () => {
  for (const name of ["pods", "pod", "po", "Pod"]) assert.equal(lookupKind(name)?.kind, "Pod");
  for (const name of ["deployments", "deploy", "deployment.apps"]) assert.equal(lookupKind(name)?.kind, "Deployment");
  assert.equal(lookupKind("rs")?.kind, "ReplicaSet");
  assert.equal(lookupKind("no")?.kind, "Node");
  assert.equal(lookupKind("widgets"), undefined);
});

test("wrap and unwrap round-trip through the Object oneof and its binary codec", () => {
  const pod = Pod.fromPartial({ metadata: emptyMeta({ name: "web-1", namespace: "default" }) });
  const wrapped = wrap("Pod", pod);
  const back = unwrap(wrapped);
  assert.equal(back?.kind, "Pod");
  assert.equal(objectKey(back!.object), "default/web-1");
  const bytes = KINDS.Pod.codec.encode(pod).finish();
  assert.equal(KINDS.Pod.codec.decode(bytes).metadata?.name, "web-1");
});
