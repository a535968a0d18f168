// @mk/proto/client: connect(), the typed client, typed errors, retries and the event recorder.
export * from "./errors.js";
export * from "./retry.js";
export * from "./connect.js";
export * from "./clientset.js";
export * from "./resource.js";
export * from "./events.js";
