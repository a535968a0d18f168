// Authorization: the control plane may do everything; a node may read what it needs and change
// only itself, its Lease and the pods bound to it (Kubernetes' Node authorizer, simplified; the
// rest of RBAC is not modelled). A node reads a ConfigMap or Secret only by name, and only while a
// pod bound to it refers to the object (node-graph.ts); list and watch too, limited to that name by
// the field selector metadata.name=NAME, as Kubernetes allows them. Decisions are values with a
// reason, not exceptions.
import { MASTERS_GROUP, nodeNameOf, type UserInfo } from "./identity.js";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "updatestatus" | "delete" | "bind" | "scale" | "logs" | "exec" | "version";

export interface RequestAttributes {
  verb: Verb;
  /** Kind name (Pod, Node …); "" for Version. */
  kind: string;
  namespace: string;
  name: string;
}

export type Decision = { allowed: true } | { allowed: false; reason: string };

/** Reads what a decision depends on that the request does not carry. */
export interface AuthorizerLookup {
  /** The node a stored pod is bound to ("" when unbound); undefined when there is no such pod. */
  podNodeName(namespace: string, name: string): Promise<string | undefined>;
  /** Whether a pod bound to the node refers to the ConfigMap or Secret. */
  nodeReferences(node: string, kind: "ConfigMap" | "Secret", namespace: string, name: string): Promise<boolean>;
}

/** The control-plane identities `mkctl cluster init` issues certificates to. */
export const CONTROL_PLANE_USERS: readonly string[] = ["system:kube-scheduler", "system:kube-controller-manager", "kube-apiserver-kubelet-client"];
export const NODE_LEASE_NAMESPACE = "mk-node-lease";

// Services and EndpointSlices: the node proxy turns them into the node's rules. ConfigMaps and
// Secrets: see referencedRead.
export const NODE_READS: ReadonlySet<string> = new Set(["Node", "Pod", "Namespace", "Lease", "Service", "EndpointSlice"]);
const READ_VERBS = new Set<Verb>(["get", "list", "watch"]);

const allow: Decision = { allowed: true };

function deny(user: UserInfo, a: RequestAttributes, why: string): Decision {
  const target = a.kind ? `${a.kind.toLowerCase()}${a.name ? ` "${a.name}"` : ""}${a.namespace ? ` in namespace "${a.namespace}"` : ""}` : "the server";
  return { allowed: false, reason: `user "${user.name}" cannot ${a.verb} ${target}: ${why}` };
}

/** A node's read of a ConfigMap or Secret: by name, and only one its pods refer to. */
async function referencedRead(user: UserInfo, node: string, a: RequestAttributes, kind: "ConfigMap" | "Secret", lookup: AuthorizerLookup): Promise<Decision> {
  if (!a.name) return deny(user, a, `a node may only read a ${kind.toLowerCase()} by name (list and watch with the field selector metadata.name=NAME)`);
  if (await lookup.nodeReferences(node, kind, a.namespace || "default", a.name)) return allow;
  return deny(user, a, `no relationship found between node '${node}' and this object`);
}

/** The control plane and system:masters may do everything. */
export function isUnrestricted(user: UserInfo): boolean {
  return user.groups.includes(MASTERS_GROUP) || CONTROL_PLANE_USERS.includes(user.name);
}

export async function authorize(user: UserInfo, a: RequestAttributes, lookup: AuthorizerLookup): Promise<Decision> {
  if (isUnrestricted(user)) return allow;
  const node = nodeNameOf(user);
  if (!node) return deny(user, a, "no rule allows it");
  if (a.verb === "version") return allow;
  if (READ_VERBS.has(a.verb) && (a.kind === "ConfigMap" || a.kind === "Secret")) return await referencedRead(user, node, a, a.kind, lookup);
  if (READ_VERBS.has(a.verb)) return NODE_READS.has(a.kind) ? allow : deny(user, a, "a node reads only nodes, pods, namespaces, leases, services, endpointslices, and the configmaps and secrets its pods refer to");
  switch (a.kind) {
    case "Event":
      return a.verb === "create" || a.verb === "update" ? allow : deny(user, a, "a node may only create and update events");
    case "Node":
      if (a.verb !== "create" && a.verb !== "update" && a.verb !== "updatestatus") return deny(user, a, "a node may only create and update its own Node");
      return a.name === node ? allow : deny(user, a, `a node may only change its own Node ("${node}")`);
    case "Lease":
      if (a.verb !== "create" && a.verb !== "update") return deny(user, a, "a node may only create and update its own Lease");
      return a.name === node && a.namespace === NODE_LEASE_NAMESPACE ? allow : deny(user, a, `a node may only change its own Lease ("${NODE_LEASE_NAMESPACE}/${node}")`);
    case "Pod": {
      if (a.verb !== "updatestatus" && a.verb !== "delete") return deny(user, a, "a node may only update the status of, and delete, pods bound to it");
      // The stored pod decides, never the object sent: a node cannot claim a pod by naming itself.
      const bound = await lookup.podNodeName(a.namespace, a.name);
      if (bound === undefined) return allow; // no such pod: the request fails with NotFound, revealing nothing a node cannot read
      return bound === node ? allow : deny(user, a, `the pod is not bound to node "${node}"`);
    }
    default:
      return deny(user, a, "no rule allows it");
  }
}
