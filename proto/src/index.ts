// @mk/proto: the API contract (generated messages and services) and the helpers every component shares.
export * from "./gen/mk/v1/meta.js";
export * from "./gen/mk/v1/core.js";
export * from "./gen/mk/v1/apps.js";
export * from "./gen/mk/v1/coordination.js";
export * from "./gen/mk/v1/service.js";
export * from "./gen/mk/v1/discovery.js";
export * from "./gen/mk/v1/batch.js";
export * from "./gen/mk/v1/api.js";
export * from "./api/index.js";
export * from "./gen/mk/v1/kubelet.js";
export * from "./gen/mk/v1/bootstrap.js";
