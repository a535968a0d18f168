// The collector's API writes, for any kind: deletes guarded by the uid precondition, and metadata
// changes (owner references, finalizers) tried on the cached copy first and on a fresh read after a
// conflict, as client-go's RetryOnConflict.
import { type AnyObject, cloneObject, type KindName, metaOf, type ObjectMeta } from "@mk/proto";
import { type Clientset, ConflictError, isNotFound, type PropagationPolicy } from "@mk/proto/client";
import type { DeepReadonly, HasMeta } from "@mk/proto/informer";
import type { Logger } from "../log.js";
import type { ControllerMetrics } from "../metrics.js";

const CONFLICT_RETRIES = 5;

/** Changes metadata in place; false: nothing to change (already as wanted). */
export type MetaChange = (m: ObjectMeta) => boolean;

export class GcWriter {
  constructor(
    private readonly client: Pick<Clientset, "resource">,
    private readonly log: Logger,
    private readonly metrics: ControllerMetrics | undefined,
  ) {}

  /** Deletes the object with that uid; gone already, or replaced by a new one of that name: nothing to do. */
  async delete(kind: KindName, m: DeepReadonly<ObjectMeta>, policy: PropagationPolicy): Promise<void> {
    try {
      await this.client.resource(kind).delete(m.name, m.namespace, { propagationPolicy: policy, preconditions: { uid: m.uid } });
      this.metrics?.gcDeleted.inc({ kind });
      this.log.info({ kind, object: m.namespace ? `${m.namespace}/${m.name}` : m.name, policy }, "deleted dependent");
    } catch (err) {
      // NotFound: gone already. Conflict: the uid precondition failed, a new object holds the name.
      if (isNotFound(err) || err instanceof ConflictError) return;
      throw err;
    }
  }

  /** Applies change to the object and writes it; NotFound or a new uid means nothing left to change. */
  async updateMeta(kind: KindName, cached: DeepReadonly<HasMeta>, change: MetaChange): Promise<void> {
    const uid = cached.metadata?.uid;
    // The cache's objects are read-only: the codec's copy is ours to change.
    let obj: AnyObject = cloneObject(kind, cached as AnyObject);
    for (let attempt = 0; ; attempt++) {
      const m = metaOf(obj);
      if (!change(m)) return;
      try {
        await this.client.resource(kind).update(obj);
        return;
      } catch (err) {
        if (isNotFound(err)) return;
        if (!(err instanceof ConflictError) || attempt + 1 >= CONFLICT_RETRIES) throw err;
      }
      try {
        obj = await this.client.resource(kind).get(m.name, m.namespace);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      if (obj.metadata?.uid !== uid) return;
    }
  }
}
