// Authorization of a handler's request, once, for every edge: the user may do what the request asks
// (else ForbiddenError naming the user, verb and resource). Only a server that authenticates its
// clients authorizes them; without a lookup (plaintext, in-process tests) every request is allowed.
import { ForbiddenError, InternalError, UnauthorizedError } from "@mk/proto/client";
import type { Logger } from "pino";
import { type AuthorizerLookup, authorize, type RequestAttributes } from "../auth/authorizer.js";
import { UNAUTHENTICATED_MESSAGE } from "../auth/identity.js";
import type { RequestContext } from "./context.js";

export class RequestAuthorizer {
  constructor(
    private readonly lookup: AuthorizerLookup | undefined,
    private readonly log: Logger,
  ) {}

  async check(ctx: RequestContext, attrs: RequestAttributes): Promise<void> {
    if (!this.lookup) return;
    const user = ctx.user;
    // The edge authenticates first; a request that reaches here without a user is refused all the same.
    if (!user) throw new UnauthorizedError(UNAUTHENTICATED_MESSAGE);
    let decision: Awaited<ReturnType<typeof authorize>>;
    try {
      decision = await authorize(user, attrs, this.lookup);
    } catch (err) {
      this.log.error({ err, user: user.name, verb: attrs.verb, kind: attrs.kind }, "authorization failed");
      throw new InternalError("authorization failed", { cause: err });
    }
    if (decision.allowed) return;
    this.log.info({ user: user.name, verb: attrs.verb, kind: attrs.kind, namespace: attrs.namespace, name: attrs.name }, "request forbidden");
    throw new ForbiddenError(`Forbidden: ${decision.reason}`);
  }
}
