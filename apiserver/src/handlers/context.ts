// What every handler is told about a request, whatever edge it came through: who asks. A request
// through an edge that authenticates nobody (the plaintext server of in-process tests) has no user,
// and the handlers then authorize nothing, as before the edges were split.
import type { UserInfo } from "../auth/identity.js";

export interface RequestContext {
  /** The authenticated user; undefined when the server authenticates nobody. */
  user?: UserInfo | undefined;
}
