// Bind: the scheduler's one write. Sets spec.nodeName and the PodScheduled condition in one
// compare-and-swap, so two schedulers can never both place the same pod.
import { metaOf, type Pod, type PodCondition, PodStatus } from "@mk/proto";
import { BadRequestError, ConflictError } from "@mk/proto/client";
import { type Store, timestamp } from "./store.js";
import { type Errors, required, throwIfInvalid, validateDnsSubdomain } from "./validation.js";

export interface BindOpts {
  namespace: string;
  name: string;
  nodeName: string;
  uid: string;
}

export async function bindPod(store: Store, req: BindOpts): Promise<Pod> {
  const errs: Errors = [];
  if (!req.nodeName) errs.push(required("target.name"));
  else validateDnsSubdomain("target.name", req.nodeName, errs);
  throwIfInvalid("Pod", req.name, errs);
  for (let attempt = 0; ; attempt++) {
    const pod = await store.get("Pod", req.namespace, req.name);
    const meta = metaOf(pod);
    if (req.uid && req.uid !== meta.uid) {
      throw new ConflictError(`Precondition failed: UID in precondition: ${req.uid}, UID in object meta: ${meta.uid}`);
    }
    if (meta.deletionTimestamp) throw new BadRequestError(`pod ${meta.name} is being deleted, cannot be assigned to a host`);
    const spec = pod.spec;
    if (!spec) throw new BadRequestError(`pod ${meta.name} has no spec`);
    if (spec.nodeName) throw new BadRequestError(`pod ${meta.name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = req.nodeName;
    const now = timestamp(store.now());
    const scheduled: PodCondition = { type: "PodScheduled", status: "True", lastProbeTime: "", lastTransitionTime: now, reason: "", message: "" };
    pod.status ??= PodStatus.fromPartial({ phase: "Pending" });
    pod.status.conditions = [...pod.status.conditions.filter((c) => c.type !== "PodScheduled"), scheduled];
    pod.status.nominatedNodeName = "";
    try {
      return await store.storage.update("Pod", pod, meta.resourceVersion);
    } catch (err) {
      // A status write raced us: read again and re-check that the pod is still unbound.
      if (err instanceof ConflictError && attempt < 20) continue;
      throw err;
    }
  }
}
