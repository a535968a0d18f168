// The apps group (apps/v1): Deployment and ReplicaSet semantics shared by the controller and mkctl.
export * from "./labels.js";
export * from "./hash.js";
export * from "./revision.js";
