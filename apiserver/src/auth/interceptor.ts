// The gRPC edge of authentication and authorization: every call to the Resources service needs a
// verified client certificate (else UNAUTHENTICATED) whose user may do what the request asks
// (else PERMISSION_DENIED, naming the user, verb and resource). The Bootstrap service is left
// open: joining is how a node gets its certificate. Plaintext servers (in-process tests) don't
// install this interceptor.
import { type ServerInterceptor, ServerInterceptingCall, ServerListenerBuilder, status } from "@grpc/grpc-js";
import { type Object as ApiObject, unwrap } from "@mk/proto";
import { UnavailableError } from "@mk/proto/client";
import type { Logger } from "pino";
import { type AuthorizerLookup, authorize, type RequestAttributes, type Verb } from "./authorizer.js";
import { userOf } from "./identity.js";

export const RESOURCES_SERVICE = "/mk.v1.Resources/";

const VERBS: Record<string, Verb> = {
  Create: "create",
  Get: "get",
  List: "list",
  Watch: "watch",
  Update: "update",
  UpdateStatus: "updatestatus",
  Delete: "delete",
  Bind: "bind",
  GetScale: "get",
  UpdateScale: "scale",
  Logs: "logs",
  Exec: "exec",
  Version: "version",
};

interface RequestFields {
  kind?: string;
  namespace?: string;
  name?: string;
  pod?: string;
  object?: ApiObject;
}

/** What a request asks for, from its method and message. */
export function attributesOf(method: string, message: unknown): RequestAttributes {
  const verb = VERBS[method];
  if (!verb) return { verb: "get", kind: method, namespace: "", name: "" };
  const m = (message && typeof message === "object" ? message : {}) as RequestFields;
  if (m.object) {
    const o = unwrap(m.object);
    return { verb, kind: o?.kind ?? "", namespace: o?.object.metadata?.namespace || (o?.kind === "Node" || o?.kind === "Namespace" ? "" : "default"), name: o?.object.metadata?.name ?? "" };
  }
  if (method === "Bind" || method === "Logs" || method === "Exec") return { verb, kind: "Pod", namespace: m.namespace || "default", name: m.pod ?? m.name ?? "" };
  if (method === "Version") return { verb, kind: "", namespace: "", name: "" };
  return { verb, kind: m.kind ?? "", namespace: m.namespace ?? "", name: m.name ?? "" };
}

/**
 * The status of a request whose authorization could not be decided: UNAVAILABLE (retryable) when
 * the lookup behind it failed because etcd is unavailable — a node's request during an etcd
 * restart must be retried like any other, not fail as INTERNAL — else INTERNAL.
 */
export function authorizationFailure(err: unknown): { code: status; details: string } {
  if (err instanceof UnavailableError) return { code: status.UNAVAILABLE, details: `authorization failed: ${err.message}` };
  return { code: status.INTERNAL, details: "authorization failed" };
}

export function authInterceptor(lookup: AuthorizerLookup, log: Logger): ServerInterceptor {
  return (methodDescriptor, call) => {
    if (!methodDescriptor.path.startsWith(RESOURCES_SERVICE)) return new ServerInterceptingCall(call);
    const method = methodDescriptor.path.slice(RESOURCES_SERVICE.length);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              const user = userOf(call.getAuthContext());
              if (!user) {
                call.sendStatus({ code: status.UNAUTHENTICATED, details: "Unauthorized: the request carries no client certificate signed by the cluster CA" });
                return;
              }
              const attrs = attributesOf(method, message);
              authorize(user, attrs, lookup).then(
                (d) => {
                  if (d.allowed) nextMessage(message);
                  else {
                    log.info({ user: user.name, verb: attrs.verb, kind: attrs.kind, namespace: attrs.namespace, name: attrs.name }, "request forbidden");
                    call.sendStatus({ code: status.PERMISSION_DENIED, details: `Forbidden: ${d.reason}` });
                  }
                },
                (err: unknown) => {
                  log.error({ err, user: user.name, method }, "authorization failed");
                  call.sendStatus(authorizationFailure(err));
                },
              );
            })
            .build(),
        );
      },
    });
  };
}
