// Calls whose answer was lost (the API server applied them, then the connection died or the deadline
// passed) are retried without duplicates: a create carries a request id that becomes the object's uid,
// so the retry that meets AlreadyExists finds its own object; a delete retried into NotFound is done.
// The loss is made at the transport: the real call runs, its answer is replaced by UNAVAILABLE or
// DEADLINE_EXCEEDED, and Clientset's real retry path takes it from there.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type CallOptions, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { ConfigMap, ResourcesClient } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { AlreadyExistsError, type CallOpts, channelCredentials, channelOptions, Clientset, NotFoundError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";

type Callback<R> = (error: ServiceError | null, response: R) => void;
type UnaryMethod<Q, R> = (request: Q, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<R>) => unknown;

/** A Clientset whose next `lose` calls are applied by the server but answered with `code`. */
class LossyClientset extends Clientset {
  lose = 0;
  code: status = status.UNAVAILABLE;
  override unary<Q, R>(method: UnaryMethod<Q, R>, request: Q, opts: CallOpts = {}): Promise<R> {
    const real = method;
    const wrapped: UnaryMethod<Q, R> = (req, md, o, cb) => {
      if (this.lose <= 0) return real.call(this.raw, req, md, o, cb);
      this.lose--;
      return real.call(this.raw, req, md, o, (_err, res) => {
        const lost = Object.assign(new Error(`${this.code} answer lost`), { code: this.code, details: "answer lost", metadata: new Metadata() }) as ServiceError;
        cb(lost, res);
      });
    };
    return super.unary(wrapped, request, opts);
  }
}

let api: TestApiServer;
let cs: LossyClientset;

before(async () => {
  api = await startTestApiServer();
  const raw = new ResourcesClient(api.address, channelCredentials(undefined), channelOptions());
  cs = new LossyClientset(raw, { timeoutMs: 10_000, retry: { attempts: 4, initialDelayMs: 10, maxDelayMs: 50 } });
});
after(async () => {
  cs?.close();
  await api?.stop();
});

const cm = (name: string) => ConfigMap.fromPartial({ metadata: emptyMeta({ name, namespace: "default" }), data: { a: "1" } });

test("a create whose answer was lost is retried and finds its own object: one object, no AlreadyExists", async () => {
  for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED]) {
    const name = `lost-create-${code}`;
    cs.code = code;
    cs.lose = 1;
    const made = await cs.resource("ConfigMap").create(cm(name));
    assert.equal(cs.lose, 0, "the first answer was lost");
    const stored = await cs.resource("ConfigMap").get(name, "default");
    assert.equal(made.metadata?.uid, stored.metadata?.uid, "the object returned is the one stored");
    const all = await cs.resource("ConfigMap").list({ namespace: "default" });
    assert.equal(all.items.filter((c) => c.metadata?.name === name).length, 1);
  }
});

test("a create meeting someone else's object still fails with AlreadyExists", async () => {
  await cs.resource("ConfigMap").create(cm("taken"));
  cs.code = status.UNAVAILABLE;
  // First attempt: AlreadyExists outright (not retried, not read back).
  await assert.rejects(cs.resource("ConfigMap").create(cm("taken")), AlreadyExistsError);
  // A lost answer on a create that failed anyway, then AlreadyExists: the object is not ours.
  cs.lose = 1;
  await assert.rejects(cs.resource("ConfigMap").create(cm("taken")), AlreadyExistsError);
});

test("a delete whose answer was lost is retried into NotFound and counts as done", async () => {
  await cs.resource("ConfigMap").create(cm("lost-delete"));
  cs.code = status.UNAVAILABLE;
  cs.lose = 1;
  const res = await cs.resource("ConfigMap").delete("lost-delete", "default");
  assert.equal(res.pending, false);
  await assert.rejects(cs.resource("ConfigMap").get("lost-delete", "default"), NotFoundError);
  // A delete of what was never there is still NotFound.
  await assert.rejects(cs.resource("ConfigMap").delete("never-there", "default"), NotFoundError);
});
