// Bind: the scheduler's one write. Sets spec.nodeName and the PodScheduled condition in one
// compare-and-swap, so two schedulers can never both place the same pod.
import { metaOf, type Pod, type PodCondition, PodStatus } from "@mk/proto";
import { BadRequestError } from "@mk/proto/client";
import { checkUid, type Store, timestamp } from "./store.js";
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
  // A status write racing us makes guaranteedUpdate read again, and this re-checks that the pod is still unbound.
  const out = await store.guaranteedUpdate("Pod", req.namespace, req.name, { operation: "bind", dryRun: false, retryOnConflict: true }, (current) => {
    const meta = metaOf(current);
    checkUid(req.uid, meta.uid);
    if (meta.deletionTimestamp) throw new BadRequestError(`pod ${meta.name} is being deleted, cannot be assigned to a host`);
    const pod = store.copyOf("Pod", current);
    const spec = pod.spec;
    if (!spec) throw new BadRequestError(`pod ${meta.name} has no spec`);
    if (spec.nodeName) throw new BadRequestError(`pod ${meta.name} is already assigned to node "${spec.nodeName}"`);
    spec.nodeName = req.nodeName;
    const now = timestamp(store.now());
    const scheduled: PodCondition = { type: "PodScheduled", status: "True", lastProbeTime: "", lastTransitionTime: now, reason: "", message: "" };
    pod.status ??= PodStatus.fromPartial({ phase: "Pending" });
    pod.status.conditions = [...pod.status.conditions.filter((c) => c.type !== "PodScheduled"), scheduled];
    pod.status.nominatedNodeName = "";
    return pod;
  });
  return out.object;
}
