// Found by the chaos suite (issue 14): with etcd killed, a kubelet's request whose authorization
// needs a pod lookup failed INTERNAL ("authorization failed"), which clients do not retry, instead
// of UNAVAILABLE like every other request while etcd is down.
import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import { authorizationFailure } from "@mk/apiserver/auth/interceptor.js";
import { UnavailableError } from "@mk/proto/client";

test("an authorization lookup that fails because etcd is unavailable answers UNAVAILABLE", () => {
  const r = authorizationFailure(new UnavailableError("etcd is unavailable: connect ECONNREFUSED"));
  assert.equal(r.code, status.UNAVAILABLE);
  assert.match(r.details, /etcd is unavailable/);
});

test("any other authorization failure stays INTERNAL", () => {
  assert.deepEqual(authorizationFailure(new Error("boom")), { code: status.INTERNAL, details: "authorization failed" });
});
