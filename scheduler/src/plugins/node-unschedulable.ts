// NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods unless the pod tolerates
// the unschedulable taint; a node that is not Ready takes none either. Both read as one reason, as in
// the issue: "node(s) were unschedulable".
import type { DeepReadonly } from "@mk/proto/informer";
import type { Pod } from "@mk/proto";
import type { CycleState, FilterPlugin } from "../framework/interfaces.js";
import type { NodeView } from "../framework/node-info.js";
import { SUCCESS, type Status, unresolvable, unschedulable } from "../framework/status.js";
import { tolerates } from "./taint-toleration.js";

export const NAME = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
export const ERR_REASON_UNKNOWN_NODE = "node(s) had unknown conditions";
/** The taint Kubernetes puts on cordoned nodes; a pod tolerating it may still land there (DaemonSets do). */
export const TAINT_NODE_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";

export const nodeUnschedulable = {
  name: NAME,
  filter(_state: CycleState, pod: DeepReadonly<Pod>, node: NodeView): Status {
    if (!node.node) return unresolvable(ERR_REASON_UNKNOWN_NODE);
    if (!node.ready) return unschedulable(ERR_REASON_UNSCHEDULABLE);
    if (!node.unschedulable) return SUCCESS;
    const ok = (pod.spec?.tolerations ?? []).some((t) =>
      tolerates(t, { key: TAINT_NODE_UNSCHEDULABLE, value: "", effect: "NoSchedule", timeAdded: "" }),
    );
    return ok ? SUCCESS : unschedulable(ERR_REASON_UNSCHEDULABLE);
  },
} satisfies FilterPlugin;
