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
import { AlreadyExistsError, type CallOpts, ConflictError, channelCredentials, channelOptions, Clientset, NotFoundError, UnavailableError } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";

type Callback<R> = (error: ServiceError | null, response: R) => void;
type UnaryMethod<Q, R> = (request: Q, metadata: Metadata, options: Partial<CallOptions>, callback: Callback<R>) => unknown;

/** A Clientset whose next `lose` calls are applied by the server but answered with `code`. */
class LossyClientset extends Clientset {
  lose = 0;
  code: status = status.UNAVAILABLE;
  /** Runs after a lost call was applied, before its loss is reported (another writer in between). */
  onLost: (() => Promise<void>) | undefined;
  override unary<Q, R>(method: UnaryMethod<Q, R>, request: Q, opts: CallOpts = {}): Promise<R> {
    const real = method;
    const wrapped: UnaryMethod<Q, R> = (req, md, o, cb) => {
      if (this.lose <= 0) return real.call(this.raw, req, md, o, cb);
      this.lose--;
      return real.call(this.raw, req, md, o, (_err, res) => {
        const lost = Object.assign(new Error(`${this.code} answer lost`), { code: this.code, details: "answer lost", metadata: new Metadata() }) as ServiceError;
        const between = this.onLost;
        this.onLost = undefined;
        if (between) void between().then(() => cb(lost, res));
        else cb(lost, res);
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

// Found by the chaos suite's lost-object checker: an update retried after a lost answer met the
// version its own first attempt wrote and answered Conflict; the caller re-read, saw its change,
// and applied it again (a toggle of the image undone).
test("a conditional update whose answer was lost is retried: its own write is not a Conflict, the object it wrote is returned", async () => {
  await cs.resource("ConfigMap").create(cm("lost-update"));
  for (const code of [status.UNAVAILABLE, status.DEADLINE_EXCEEDED]) {
    const cur = await cs.resource("ConfigMap").get("lost-update", "default");
    const next = ConfigMap.fromPartial({ ...cur, data: { a: String(code) } });
    cs.code = code;
    cs.lose = 1;
    const done = await cs.resource("ConfigMap").update(next);
    assert.equal(cs.lose, 0, "the first answer was lost");
    const stored = await cs.resource("ConfigMap").get("lost-update", "default");
    assert.equal(done.metadata?.resourceVersion, stored.metadata?.resourceVersion, "the object returned is the one stored");
    assert.deepEqual(stored.data, { a: String(code) });
  }
});

test("a lost update overtaken by another writer before its retry: the outcome is unknown (Unavailable), never a Conflict the caller would take as 'not applied'", async () => {
  await cs.resource("ConfigMap").create(cm("lost-overtaken"));
  const cur = await cs.resource("ConfigMap").get("lost-overtaken", "default");
  cs.code = status.UNAVAILABLE;
  cs.lose = 1;
  cs.onLost = async () => {
    // Another writer changes the object after the lost attempt landed.
    const now = await cs.resource("ConfigMap").get("lost-overtaken", "default");
    await cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...now, data: { a: "other" } }));
  };
  const err = await cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...cur, data: { a: "mine" } })).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof UnavailableError, `an unknown outcome, not ${String(err)}`);
  assert.match(err.message, /may or may not have been applied/);
  // A genuine conflict (no lost answer) is still a Conflict.
  await assert.rejects(cs.resource("ConfigMap").update(ConfigMap.fromPartial({ ...cur, data: { a: "stale" } })), ConflictError);
});
