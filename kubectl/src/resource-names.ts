// The resource type names completion offers: each kind's plural, singular and short names, as in
// @mk/proto/api's KINDS. A copy, because KINDS carries each kind's protobuf codec and loading the
// generated code would triple `mkctl completion bash`'s start-up; a unit test keeps the two equal.
export const RESOURCE_NAMES: readonly (readonly string[])[] = [
  ["namespaces", "namespace", "ns"],
  ["nodes", "node", "no"],
  ["pods", "pod", "po"],
  ["replicasets", "replicaset", "rs"],
  ["deployments", "deployment", "deploy"],
  ["leases", "lease"],
  ["events", "event", "ev"],
  ["configmaps", "configmap", "cm"],
  ["secrets", "secret"],
  ["services", "service", "svc"],
  ["endpoints", "endpoints", "ep"],
  ["endpointslices", "endpointslice"],
  ["jobs", "job"],
  ["cronjobs", "cronjob", "cj"],
];
