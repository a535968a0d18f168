// A filter's verdict: success, or unschedulable with reasons a person can read. Expected outcomes are
// values, never exceptions; "Error" is for the unexpected (a bug, a malformed object) and is still a value.

export type Code = "Success" | "Unschedulable" | "UnschedulableAndUnresolvable" | "Error";

export interface Status {
  readonly code: Code;
  /** Kubernetes' reason strings, e.g. `Insufficient memory`; empty on success. */
  readonly reasons: readonly string[];
  /** The plugin that gave the verdict (set by the pipeline). */
  readonly plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: "Success", reasons: Object.freeze([]) });

export function unschedulable(...reasons: string[]): Status {
  return { code: "Unschedulable", reasons };
}

/** Not fixable by anything the scheduler could wait for (e.g. a different requested node name). */
export function unresolvable(...reasons: string[]): Status {
  return { code: "UnschedulableAndUnresolvable", reasons };
}

export function errorStatus(reason: string): Status {
  return { code: "Error", reasons: [reason] };
}

export function isSuccess(s: Status): boolean {
  return s.code === "Success";
}
