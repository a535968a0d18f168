// How objects print as Kubernetes' Tables: column definitions per kind and the cell formats.
export * from "./age.js";
export * from "./format.js";
export * from "./podstatus.js";
export * from "./columns.js";
export * from "./service.js";
