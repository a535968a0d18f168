export * from "./kinds.js";
export * from "./labels.js";
export * from "./quantity.js";
