export * from "./kinds.js";
export * from "./labels.js";
export * from "./quantity.js";
export * from "./taints.js";
