// Authorization of a handler's request, once, for every edge: the user may do what the request asks
// (else ForbiddenError naming the user, verb and resource). Only a server that authenticates its
// clients authorizes them; without a lookup (plaintext, in-process tests) every request is allowed.
import { ForbiddenError, InternalError, UnauthorizedError, UnavailableError } from "@mk/proto/client";
import type { Logger } from "pino";
import { type AuthorizerLookup, authorize, type Decision, isUnrestricted, type RequestAttributes } from "../auth/authorizer.js";
import { UNAUTHENTICATED_MESSAGE } from "../auth/identity.js";
import type { RequestContext } from "./context.js";

export class RequestAuthorizer {
  constructor(
    private readonly lookup: AuthorizerLookup | undefined,
    private readonly log: Logger,
  ) {}

  async check(ctx: RequestContext, attrs: RequestAttributes): Promise<void> {
    const decision = await this.decide(ctx, attrs);
    if (decision.allowed) return;
    this.log.info({ user: ctx.user?.name, verb: attrs.verb, kind: attrs.kind, namespace: attrs.namespace, name: attrs.name }, "request forbidden");
    throw new ForbiddenError(`Forbidden: ${decision.reason}`);
  }

  /**
   * The decision on a request, without acting on it (a SelfSubjectAccessReview asks this). `undefined`
   * attributes stand for a verb mk has no rule for: only the unrestricted users may do it.
   */
  async decide(ctx: RequestContext, attrs: RequestAttributes | undefined): Promise<Decision> {
    if (!this.lookup) return { allowed: true };
    const user = ctx.user;
    // The edge authenticates first; a request that reaches here without a user is refused all the same.
    if (!user) throw new UnauthorizedError(UNAUTHENTICATED_MESSAGE);
    if (!attrs) return isUnrestricted(user) ? { allowed: true } : { allowed: false, reason: `user "${user.name}": no rule allows it` };
    try {
      return await authorize(user, attrs, this.lookup);
    } catch (err) {
      this.log.error({ err, user: user.name, verb: attrs.verb, kind: attrs.kind }, "authorization failed");
      // A lookup that failed because etcd is down (found by the chaos suite): UNAVAILABLE, which
      // clients retry like any other request during an etcd restart, not INTERNAL, which they don't.
      if (err instanceof UnavailableError) throw new UnavailableError(`authorization failed: ${err.message}`, { cause: err });
      throw new InternalError("authorization failed", { cause: err });
    }
  }
}
