export * from "./kinds.js";
export * from "./cidr.js";
export * from "./labels.js";
export * from "./podnet.js";
export * from "./quantity.js";
export * from "./taints.js";
