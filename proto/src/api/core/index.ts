// The core group (v1): Kubernetes semantics of Pods and their containers shared by components.
export * from "./defaults.js";
export * from "./config.js";
export * from "./service.js";
export * from "./dns.js";
export * from "./downward.js";
export * from "./references.js";
