// Semantic faults: a valid object of a kind with one field made invalid (a name, a label, a
// selector, a quantity, an out-of-range number, a value not in an enum, a 2 MiB string, a huge
// repeated field). Each mutator returns the field path the API's refusal must name.
import type { KindName } from "@mk/proto";
import type { Rng } from "./rng.js";

export type Tree = Record<string, unknown>;

export type Category =
  | "name"
  | "label"
  | "annotation"
  | "metadata"
  | "selector"
  | "quantity"
  | "number"
  | "enum"
  | "structure"
  | "huge-string"
  | "huge-repeated"
  | "immutable"
  | "status";

export type ObjectMethod = "Create" | "Update" | "UpdateStatus";

export interface Mutator {
  category: Category;
  kinds: readonly KindName[];
  methods: readonly ObjectMethod[];
  /** Breaks the tree in place; returns the field the refusal must name. */
  apply(t: Tree, kind: KindName, rng: Rng): string;
}

/** Sets a value at a dotted path (`spec.containers.0.image`); numeric segments index arrays. */
export function setAt(t: Tree, path: string, value: unknown): void {
  const parts = path.split(".");
  let at: Record<string, unknown> | unknown[] = t;
  for (const [i, p] of parts.entries()) {
    const last = i === parts.length - 1;
    const key: string | number = Array.isArray(at) ? Number(p) : p;
    const container = at as Record<string | number, unknown>;
    if (last) {
      container[key] = value;
      return;
    }
    let next = container[key];
    if (next === undefined || next === null) {
      next = /^\d+$/.test(parts[i + 1] ?? "") ? [] : {};
      container[key] = next;
    }
    at = next as Record<string, unknown> | unknown[];
  }
}

export function getAt(t: Tree, path: string): unknown {
  let at: unknown = t;
  for (const p of path.split(".")) {
    if (at === undefined || at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[p];
  }
  return at;
}

const ALL: readonly KindName[] = ["Namespace", "Node", "Pod", "ReplicaSet", "Deployment", "Lease", "Event"];
const NAMESPACED: readonly KindName[] = ["Pod", "ReplicaSet", "Deployment", "Lease", "Event"];
const WITH_POD_SPEC: readonly KindName[] = ["Pod", "ReplicaSet", "Deployment"];
const WORKLOADS: readonly KindName[] = ["ReplicaSet", "Deployment"];
const CREATE: readonly ObjectMethod[] = ["Create"];
const WRITE: readonly ObjectMethod[] = ["Create", "Update"];

/** Where the pod spec is, as a tree path and as the API names it. */
function podSpec(kind: KindName): { at: string; field: string } {
  return kind === "Pod" ? { at: "spec", field: "spec" } : { at: "spec.template.spec", field: "spec.template.spec" };
}

export const MIB2 = 2 * 1024 * 1024;
const long = (n: number) => "x".repeat(n);

const BAD_NAMES = ["", "Fuzz-Upper", "under_score", long(254), "-lead", "trail-", "a..b", "ünïcode", "sp ace", "a/b", "%2e", ".", "a\u0000b"];
const BAD_LABEL_KEYS = ["-bad", "a/b/c", long(64), "Ex_ample.com/x", "bad key", "/x", "x/", "é", `${long(254)}/x`];
const BAD_LABEL_VALUES = ["bad value", long(64), "-x", "x-", "a/b", "ü", "a\nb"];
const BAD_QUANTITIES = ["abc", "-1", "1..5", "1e", "5Zi", "1.5.5", "0x10", "1 Gi", "∞", "1e400", "--1"];

/** A string field of each kind worth filling with 2 MiB: tree path and field path. */
function stringFields(kind: KindName): [string, string][] {
  const common: [string, string][] = [
    ["metadata.name", "metadata.name"],
    ["metadata.labels.app", "metadata.labels"],
    ["metadata.annotations.big", "metadata.annotations"],
    ["metadata.generateName", "metadata.generateName"],
  ];
  const ps = podSpec(kind);
  const pod: [string, string][] = [
    [`${ps.at}.containers.0.image`, `${ps.field}.containers[0].image`],
    [`${ps.at}.containers.0.name`, `${ps.field}.containers[0].name`],
    [`${ps.at}.containers.0.env.0.value`, `${ps.field}.containers[0].env[0].value`],
    [`${ps.at}.containers.0.command.0`, `${ps.field}.containers[0].command[0]`],
    [`${ps.at}.containers.0.args.0`, `${ps.field}.containers[0].args[0]`],
    [`${ps.at}.containers.0.workingDir`, `${ps.field}.containers[0].workingDir`],
    [`${ps.at}.nodeSelector.disk`, `${ps.field}.nodeSelector`],
    [`${ps.at}.hostname`, `${ps.field}.hostname`],
    [`${ps.at}.schedulerName`, `${ps.field}.schedulerName`],
  ];
  switch (kind) {
    case "Pod":
    case "ReplicaSet":
    case "Deployment":
      return [...common, ...pod];
    case "Node":
      return [...common, ["spec.podCidr", "spec.podCIDR"], ["spec.providerId", "spec.providerID"], ["spec.taints.0.value", "spec.taints[0].value"]];
    case "Lease":
      return [...common, ["spec.holderIdentity", "spec.holderIdentity"]];
    case "Event":
      return [...common, ["message", "message"], ["reason", "reason"], ["involvedObject.name", "involvedObject.name"], ["source.component", "source.component"]];
    default:
      return common;
  }
}

export const MUTATORS: readonly Mutator[] = [
  {
    category: "name",
    kinds: ALL,
    methods: CREATE,
    apply(t, kind, rng) {
      const bad = rng.pick(kind === "Namespace" ? [...BAD_NAMES, "a.b"] : BAD_NAMES);
      setAt(t, "metadata.name", bad);
      return "metadata.name";
    },
  },
  {
    category: "name",
    kinds: ALL,
    methods: CREATE,
    apply(t, _kind, rng) {
      setAt(t, "metadata.name", "");
      setAt(t, "metadata.generateName", rng.pick(["Bad_", "UPPER-", "-x-", `${long(300)}-`, "a/b-"]));
      return "metadata.generateName";
    },
  },
  {
    category: "name",
    kinds: NAMESPACED,
    methods: CREATE,
    apply(t, _kind, rng) {
      setAt(t, "metadata.namespace", rng.pick(["Bad_NS", long(64), "-ns", "a.b", "ns/x"]));
      return "metadata.namespace";
    },
  },
  {
    category: "label",
    kinds: ALL,
    methods: WRITE,
    apply(t, _kind, rng) {
      if (rng.next() < 0.5) setAt(t, "metadata.labels", { ...(getAt(t, "metadata.labels") as Tree), [rng.pick(BAD_LABEL_KEYS)]: "v" });
      else setAt(t, "metadata.labels.app", rng.pick(BAD_LABEL_VALUES));
      return "metadata.labels";
    },
  },
  {
    category: "label",
    kinds: WORKLOADS,
    methods: WRITE,
    apply(t, _kind, rng) {
      setAt(t, "spec.template.metadata.labels.extra", rng.pick(BAD_LABEL_VALUES));
      return "spec.template.metadata.labels";
    },
  },
  {
    category: "annotation",
    kinds: ALL,
    methods: WRITE,
    apply(t, _kind, rng) {
      if (rng.next() < 0.5) setAt(t, "metadata.annotations", { [rng.pick(["bad key", "-x", "a/b/c", long(64)])]: "v" });
      else setAt(t, "metadata.annotations", { big: long(300 * 1024) });
      return "metadata.annotations";
    },
  },
  {
    category: "metadata",
    kinds: ALL,
    methods: WRITE,
    apply(t, _kind, rng) {
      switch (rng.int(3)) {
        case 0:
          setAt(t, "metadata.finalizers", [rng.pick(["Bad Finalizer", "a/b/c", "-x", long(400)])]);
          return "metadata.finalizers[0]";
        case 1:
          setAt(t, "metadata.ownerReferences", [{ apiVersion: "v1", kind: "Pod", name: "owner", uid: "" }]);
          return "metadata.ownerReferences[0].uid";
        default: {
          const ref = { apiVersion: "v1", kind: "Pod", name: "owner", uid: "u1", controller: true };
          setAt(t, "metadata.ownerReferences", [ref, { ...ref, uid: "u2" }]);
          return "metadata.ownerReferences";
        }
      }
    },
  },
  {
    category: "selector",
    kinds: WORKLOADS,
    methods: CREATE,
    apply(t, _kind, rng) {
      switch (rng.int(6)) {
        case 0:
          setAt(t, "spec.selector", { matchLabels: {}, matchExpressions: [] });
          return "spec.selector";
        case 1:
          setAt(t, "spec.selector", { matchLabels: { app: "other" }, matchExpressions: [] });
          return "spec.template.metadata.labels";
        case 2:
          // mk names the selector for a fault in one of its expressions (the expression follows in the message)
          setAt(t, "spec.selector.matchExpressions", [{ key: "tier", operator: rng.pick(["Like", "", "in", "Equals"]), values: ["web"] }]);
          return "spec.selector";
        case 3:
          setAt(t, "spec.selector.matchExpressions", [{ key: "tier", operator: "In", values: [] }]);
          return "spec.selector";
        case 4:
          setAt(t, "spec.selector.matchExpressions", [{ key: "tier", operator: rng.pick(["Exists", "DoesNotExist"]), values: ["web"] }]);
          return "spec.selector";
        default:
          setAt(t, "spec.selector.matchExpressions", [{ key: rng.pick(BAD_LABEL_KEYS), operator: "Exists", values: [] }]);
          return "spec.selector";
      }
    },
  },
  {
    category: "quantity",
    kinds: WITH_POD_SPEC,
    methods: CREATE,
    apply(t, kind, rng) {
      const ps = podSpec(kind);
      const which = rng.pick(["requests", "limits"]);
      const resource = rng.pick(["cpu", "memory"]);
      setAt(t, `${ps.at}.containers.0.resources.${which}.${resource}`, rng.pick(BAD_QUANTITIES));
      return `${ps.field}.containers[0].resources.${which}[${resource}]`;
    },
  },
  {
    category: "quantity",
    kinds: WITH_POD_SPEC,
    methods: CREATE,
    apply(t, kind, rng) {
      const ps = podSpec(kind);
      if (rng.next() < 0.5) {
        setAt(t, `${ps.at}.volumes.0.emptyDir.sizeLimit`, rng.pick(BAD_QUANTITIES));
        return `${ps.field}.volumes[0].emptyDir.sizeLimit`;
      }
      // requests above limits
      setAt(t, `${ps.at}.containers.0.resources.requests.cpu`, "2");
      return `${ps.field}.containers[0].resources.requests`;
    },
  },
  {
    category: "number",
    kinds: WITH_POD_SPEC,
    methods: CREATE,
    apply(t, kind, rng) {
      const ps = podSpec(kind);
      const c = `${ps.at}.containers.0`;
      const cf = `${ps.field}.containers[0]`;
      const cases: [string, string, number][] = [
        [`${ps.at}.terminationGracePeriodSeconds`, `${ps.field}.terminationGracePeriodSeconds`, rng.pick([-1, -(2 ** 53 - 1)])],
        [`${ps.at}.activeDeadlineSeconds`, `${ps.field}.activeDeadlineSeconds`, rng.pick([0, -5])],
        [`${c}.ports.0.containerPort`, `${cf}.ports[0].containerPort`, rng.pick([0, -1, 65536, 2 ** 31 - 1, -(2 ** 31)])],
        [`${c}.ports.0.hostPort`, `${cf}.ports[0].hostPort`, rng.pick([-1, 65536, 2 ** 31 - 1])],
        [`${c}.livenessProbe.periodSeconds`, `${cf}.livenessProbe.periodSeconds`, rng.pick([-1, -(2 ** 31)])],
        [`${c}.livenessProbe.failureThreshold`, `${cf}.livenessProbe.failureThreshold`, -1],
        [`${c}.livenessProbe.initialDelaySeconds`, `${cf}.livenessProbe.initialDelaySeconds`, -1],
        [`${c}.livenessProbe.timeoutSeconds`, `${cf}.livenessProbe.timeoutSeconds`, -1],
        [`${c}.livenessProbe.httpGet.port`, `${cf}.livenessProbe.httpGet.port`, 0],
      ];
      const [at, field, value] = rng.pick(cases);
      setAt(t, at, at.endsWith("httpGet.port") ? rng.pick(["0", "70000", "-1", "Bad_Port_Name_Too_Long"]) : value);
      return field;
    },
  },
  {
    category: "number",
    kinds: WORKLOADS,
    methods: WRITE,
    apply(t, kind, rng) {
      const cases: [string, unknown][] = [
        ["spec.replicas", rng.pick([-1, -(2 ** 31)])],
        ["spec.minReadySeconds", -1],
      ];
      if (kind === "Deployment") {
        cases.push(
          ["spec.revisionHistoryLimit", -1],
          ["spec.progressDeadlineSeconds", rng.pick([-1, 0])],
          ["spec.strategy.rollingUpdate.maxSurge", rng.pick(["-1", "101%", "abc", "1.5", "-5%"])],
          ["spec.strategy.rollingUpdate.maxUnavailable", rng.pick(["-1", "101%", "abc", "0%"])],
        );
      }
      const [at, value] = rng.pick(cases);
      setAt(t, at, value);
      if (at === "spec.strategy.rollingUpdate.maxUnavailable" && value === "0%") {
        // 0 is fine alone; with a maxSurge of 0 too, the rollout could never progress
        setAt(t, "spec.strategy.rollingUpdate.maxSurge", "0");
      }
      return at;
    },
  },
  {
    category: "number",
    kinds: ["Lease"],
    methods: WRITE,
    apply(t, _kind, rng) {
      const at = rng.pick(["spec.leaseDurationSeconds", "spec.leaseTransitions"]);
      setAt(t, at, at === "spec.leaseDurationSeconds" ? rng.pick([0, -1, -(2 ** 31)]) : -1);
      return at;
    },
  },
  {
    category: "enum",
    kinds: WITH_POD_SPEC,
    methods: CREATE,
    apply(t, kind, rng) {
      const ps = podSpec(kind);
      const cases: [string, string, string][] = [
        [`${ps.at}.restartPolicy`, `${ps.field}.restartPolicy`, rng.pick(["Sometimes", "always", "Never!"])],
        [`${ps.at}.containers.0.imagePullPolicy`, `${ps.field}.containers[0].imagePullPolicy`, rng.pick(["Sometimes", "always"])],
        [`${ps.at}.containers.0.ports.0.protocol`, `${ps.field}.containers[0].ports[0].protocol`, rng.pick(["TCPX", "tcp", "ICMP"])],
        [`${ps.at}.tolerations.0.operator`, `${ps.field}.tolerations[0].operator`, rng.pick(["Maybe", "equal"])],
        [`${ps.at}.tolerations.0.effect`, `${ps.field}.tolerations[0].effect`, rng.pick(["Boom", "noschedule"])],
      ];
      if (kind !== "Pod") cases.push([`${ps.at}.restartPolicy`, `${ps.field}.restartPolicy`, rng.pick(["OnFailure", "Never"])]);
      if (kind === "Deployment") cases.push(["spec.strategy.type", "spec.strategy.type", rng.pick(["Fast", "rollingupdate"])]);
      const [at, field, value] = rng.pick(cases);
      setAt(t, at, value);
      return field;
    },
  },
  {
    category: "enum",
    kinds: ["Node"],
    methods: WRITE,
    apply(t, _kind, rng) {
      setAt(t, "spec.taints.0.effect", rng.pick(["Boom", "noschedule", ""]));
      return "spec.taints[0].effect";
    },
  },
  {
    category: "structure",
    kinds: WITH_POD_SPEC,
    methods: CREATE,
    apply(t, kind, rng) {
      const ps = podSpec(kind);
      const c0 = getAt(t, `${ps.at}.containers.0`) as Tree;
      switch (rng.int(9)) {
        case 0:
          setAt(t, `${ps.at}.containers`, []);
          return `${ps.field}.containers`;
        case 1:
          setAt(t, `${ps.at}.containers.1`, structuredClone(c0));
          return `${ps.field}.containers[1].name`;
        case 2:
          setAt(t, `${ps.at}.containers.0.name`, rng.pick(["Bad_Name", "", long(64)]));
          return `${ps.field}.containers[0].name`;
        case 3:
          setAt(t, `${ps.at}.containers.0.image`, rng.pick(["", " "]));
          return `${ps.field}.containers[0].image`;
        case 4:
          setAt(t, `${ps.at}.containers.0.volumeMounts.0.name`, "missing");
          return `${ps.field}.containers[0].volumeMounts[0].name`;
        case 5:
          setAt(t, `${ps.at}.containers.0.volumeMounts.0.mountPath`, "");
          return `${ps.field}.containers[0].volumeMounts[0].mountPath`;
        case 6:
          setAt(t, `${ps.at}.containers.0.env.0.name`, rng.pick(["", "1=BAD", "a b"]));
          return `${ps.field}.containers[0].env[0].name`;
        case 7:
          setAt(t, `${ps.at}.volumes.1`, { name: "data", emptyDir: {} });
          return `${ps.field}.volumes[1].name`;
        default:
          setAt(t, `${ps.at}.containers.0.ports.0.name`, rng.pick([long(16), "Bad_Port", "-x"]));
          return `${ps.field}.containers[0].ports[0].name`;
      }
    },
  },
  {
    category: "huge-string",
    kinds: ALL,
    methods: WRITE,
    apply(t, kind, rng) {
      const [at, field] = rng.pick(stringFields(kind));
      setAt(t, at, long(MIB2));
      return field;
    },
  },
  {
    category: "huge-repeated",
    kinds: WITH_POD_SPEC,
    methods: CREATE,
    apply(t, kind, rng) {
      const ps = podSpec(kind);
      if (rng.next() < 0.5) {
        const c0 = getAt(t, `${ps.at}.containers.0`) as Tree;
        setAt(t, `${ps.at}.containers`, Array.from({ length: 2000 }, () => structuredClone(c0)));
        return `${ps.field}.containers[1].name`;
      }
      setAt(
        t,
        `${ps.at}.tolerations`,
        Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}`, operator: "Maybe", value: "", effect: "NoSchedule" })),
      );
      return `${ps.field}.tolerations[0].operator`;
    },
  },
  {
    category: "huge-repeated",
    kinds: ALL,
    methods: WRITE,
    apply(t) {
      const labels: Record<string, string> = {};
      for (let i = 0; i < 20_000; i++) labels[`k${i}`] = "v";
      labels["bad key"] = "v";
      setAt(t, "metadata.labels", labels);
      return "metadata.labels";
    },
  },
  {
    category: "immutable",
    kinds: WORKLOADS,
    methods: ["Update"],
    apply(t) {
      setAt(t, "spec.selector", { matchLabels: { app: "fuzz", tier: "web" }, matchExpressions: [] });
      return "spec.selector";
    },
  },
  {
    category: "immutable",
    kinds: ["Pod"],
    methods: ["Update"],
    apply(t, _kind, rng) {
      if (rng.next() < 0.5) {
        setAt(t, "spec.restartPolicy", "Never");
        return "spec";
      }
      setAt(t, "spec.nodeName", "fuzz-node");
      return "spec.nodeName";
    },
  },
  {
    category: "status",
    kinds: WORKLOADS,
    methods: ["UpdateStatus"],
    apply(t, _kind, rng) {
      const at = rng.pick(["status.replicas", "status.readyReplicas", "status.availableReplicas", "status.observedGeneration"]);
      setAt(t, at, rng.pick([-1, -(2 ** 31)]));
      return at;
    },
  },
  {
    category: "status",
    kinds: ["Node"],
    methods: ["UpdateStatus"],
    apply(t, _kind, rng) {
      const which = rng.pick(["capacity", "allocatable"]);
      const resource = rng.pick(["cpu", "memory", "pods"]);
      setAt(t, `status.${which}.${resource}`, rng.pick(BAD_QUANTITIES));
      return `status.${which}[${resource}]`;
    },
  },
];
