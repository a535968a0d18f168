// One request to the HTTP edge, as the fuzzer sends it: what a case carries when it is HTTP's own.

export interface HttpCall {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The path and query (`/api/v1/namespaces/default/pods?fieldValidation=Strict`). */
  path: string;
  contentType?: string;
  body?: Buffer;
  /** A watch: a 200 means it started (accepted). */
  watch?: boolean;
}

/** The HTTP edge's own faults (http-faults.ts). */
export type HttpCategory =
  | "json-wrong-type"
  | "json-out-of-range"
  | "json-unknown-field"
  | "json-unknown-lenient"
  | "json-deep-nesting"
  | "json-broken-utf8"
  | "content-type"
  | "truncated-json"
  | "too-large"
  | "query-param"
  | "json-patch"
  | "merge-patch"
  | "strategic-patch";
