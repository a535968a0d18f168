export * from "./status.js";
export * from "./pod-info.js";
export * from "./node-info.js";
export * from "./interfaces.js";
export * from "./diagnosis.js";
export * from "./hash.js";
