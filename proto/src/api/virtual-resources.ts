// Resources served beside the kinds but never stored: the API server answers them at once (the
// SelfSubjectAccessReview that `kubectl auth can-i` posts, the SelfSubjectRulesReview of its --list). Discovery and `mkctl api-resources` list
// them from here, so both show what kubectl's discovery shows.
export interface VirtualResource {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  verbs: readonly string[];
}

export const VIRTUAL_RESOURCES: readonly VirtualResource[] = [
  { group: "authorization.k8s.io", version: "v1", plural: "selfsubjectaccessreviews", singular: "selfsubjectaccessreview", kind: "SelfSubjectAccessReview", namespaced: false, verbs: ["create"] },
  { group: "authorization.k8s.io", version: "v1", plural: "selfsubjectrulesreviews", singular: "selfsubjectrulesreview", kind: "SelfSubjectRulesReview", namespaced: false, verbs: ["create"] },
];
