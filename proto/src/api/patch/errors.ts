// A patch that cannot be applied: malformed (a bad operation, an unknown directive) or failing (a
// JSON patch `test`, a path that does not exist). `path` names where, in the patch or the object;
// the API server's handler turns it into a BadRequest or Invalid Status naming that path.

export class PatchError extends Error {
  constructor(
    /** Where: a JSON pointer (`/spec/replicas`) for JSON patch, a field path (`spec.template.spec.containers`) otherwise. */
    readonly path: string,
    /** What is wrong, without the path. */
    readonly detail: string,
    /** true when the patch itself is well formed but does not apply (a failed `test`, a missing path). */
    readonly failed = false,
  ) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = "PatchError";
  }
}
