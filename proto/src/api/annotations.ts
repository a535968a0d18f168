// Annotations written by one component and read by another, named once.

/** kubectl's record of the last applied manifest, the base of apply's three-way merge. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";
/** Why a change was made (`mkctl set image … --record`); rollout history prints it. */
export const CHANGE_CAUSE_ANNOTATION = "kubernetes.io/change-cause";
/** Set on a pod template by `rollout restart`, so an unchanged template still rolls out. */
export const RESTARTED_AT_ANNOTATION = "kubectl.kubernetes.io/restartedAt";
