// What every handler is told about a request, whatever edge it came through: who asks. A request
// through an edge that authenticates nobody (the plaintext server of in-process tests) has no user,
// and the handlers then authorize nothing, as before the edges were split.
import type { UserInfo } from "../auth/identity.js";

export interface RequestContext {
  /** The authenticated user; undefined when the server authenticates nobody. */
  user?: UserInfo | undefined;
  /**
   * The client's id for this request (gRPC metadata `mk-request-id`, a UUID), the same on every
   * retry of it. A create takes it as the new object's uid, so a create re-sent after a lost answer
   * finds its own object (proto/src/client/resource.ts) instead of making a second one.
   */
  requestId?: string | undefined;
}
