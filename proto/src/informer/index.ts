// @mk/proto/informer: list+watch informers with a read-only store, the rate-limited work queue and
// its worker loop, the controller runner, and leader election on a Lease.
export * from "./logger.js";
export * from "./clock.js";
export * from "./store.js";
export * from "./indexers.js";
export * from "./listwatch.js";
export * from "./informer.js";
export * from "./factory.js";
export * from "./ratelimit.js";
export * from "./workqueue.js";
export * from "./workers.js";
export * from "./leader.js";
export * from "./health-server.js";
export * from "./leadership.js";
export * from "./controller.js";
export * from "./replica.js";
