// Found by the chaos suite (issue 14): with etcd killed, a kubelet's request whose authorization
// needs a pod lookup failed INTERNAL ("authorization failed"), which clients do not retry, instead
// of UNAVAILABLE like every other request while etcd is down.
import assert from "node:assert/strict";
import { test } from "node:test";
import { RequestAuthorizer } from "@mk/apiserver/handlers/authorization.js";
import { InternalError, UnavailableError } from "@mk/proto/client";
import { pino } from "pino";

const node = { user: { name: "system:node:node-1", groups: ["system:nodes"] } };
const podStatus = { verb: "updatestatus" as const, kind: "Pod", namespace: "default", name: "web" };

function authorizerFailingWith(err: Error): RequestAuthorizer {
  const lookup = { podNodeName: () => Promise.reject(err), nodeReferences: () => Promise.reject(err) };
  return new RequestAuthorizer(lookup, pino({ level: "silent" }));
}

test("an authorization lookup that fails because etcd is unavailable answers UNAVAILABLE", async () => {
  const a = authorizerFailingWith(new UnavailableError("etcd is unavailable: connect ECONNREFUSED"));
  await assert.rejects(a.check(node, podStatus), (err: unknown) => err instanceof UnavailableError && /etcd is unavailable/.test(err.message));
});

test("any other authorization failure stays INTERNAL", async () => {
  const a = authorizerFailingWith(new Error("boom"));
  await assert.rejects(a.check(node, podStatus), (err: unknown) => err instanceof InternalError && err.message === "authorization failed");
});
