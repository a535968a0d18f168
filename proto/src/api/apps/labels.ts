// The apps group's annotation and label names (Kubernetes' deployment/util), written by the
// Deployment controller and read by mkctl's rollout commands.
import { LAST_APPLIED_ANNOTATION } from "../annotations.js";

/** The revision of a Deployment and of each of its ReplicaSets ("1", "2", …). */
export const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";
/** The earlier revisions of a ReplicaSet re-used by a rollback ("1,3"). */
export const REVISION_HISTORY_ANNOTATION = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS_ANNOTATION = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS_ANNOTATION = "deployment.kubernetes.io/max-replicas";
/** The label that tells a Deployment's ReplicaSets (and their pods) apart; its value names the ReplicaSet. */
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

/**
 * Annotations that belong to one Deployment or ReplicaSet and never travel between them: the
 * controller does not copy them to a new ReplicaSet, and undo does not copy them back (kubectl's
 * annotationsToSkip).
 */
export const PER_OBJECT_ANNOTATIONS: ReadonlySet<string> = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
]);
