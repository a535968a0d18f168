// The pod defaults the API server writes and the kubelet falls back to (@mk/proto/api core/).
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultPullPolicy, imageTag, pullPolicyOf, restartPolicyOf } from "@mk/proto";

test("imagePullPolicy default: Always for :latest or no tag, IfNotPresent for a tag or a digest", () => {
  assert.equal(defaultPullPolicy("mk/web"), "Always");
  assert.equal(defaultPullPolicy("mk/web:latest"), "Always");
  assert.equal(defaultPullPolicy("127.0.0.1:5000/mk/web"), "Always", "the registry's port is not a tag");
  assert.equal(defaultPullPolicy("127.0.0.1:5000/mk/web:v1"), "IfNotPresent");
  assert.equal(defaultPullPolicy("mk/web@sha256:0123"), "IfNotPresent");
  assert.equal(imageTag("127.0.0.1:5000/mk/web:v2"), "v2");
  assert.equal(imageTag("mk/web@sha256:0123"), "@", "a digest is not a tag");
});

test("a container's own pull policy wins when it is one of the three", () => {
  assert.equal(pullPolicyOf({ image: "mk/web:latest", imagePullPolicy: "Never" }), "Never");
  assert.equal(pullPolicyOf({ image: "mk/web:v1", imagePullPolicy: "" }), "IfNotPresent");
  assert.equal(pullPolicyOf({ image: "mk/web:v1", imagePullPolicy: "Sometimes" }), "IfNotPresent");
  assert.equal(restartPolicyOf({ restartPolicy: "" }), "Always");
  assert.equal(restartPolicyOf({ restartPolicy: "Never" }), "Never");
});
