// The client's version, as `mkctl version` prints it.
export const VERSION = "v0.1.0";
