// The gRPC edge of authentication: every call to the Resources service needs a verified client
// certificate (else UNAUTHENTICATED). What the certificate's user may do is decided once, for every
// edge, by the handlers (handlers/authorization.ts). The Bootstrap service is left open: joining is
// how a node gets its certificate. Plaintext servers (in-process tests) don't install this interceptor.
import { type ServerInterceptor, ServerInterceptingCall, ServerListenerBuilder, status } from "@grpc/grpc-js";
import { UNAUTHENTICATED_MESSAGE, userOf } from "./identity.js";

export const RESOURCES_SERVICE = "/mk.v1.Resources/";

export function authInterceptor(): ServerInterceptor {
  return (methodDescriptor, call) => {
    if (!methodDescriptor.path.startsWith(RESOURCES_SERVICE)) return new ServerInterceptingCall(call);
    return new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              if (!userOf(call.getAuthContext())) {
                call.sendStatus({ code: status.UNAUTHENTICATED, details: UNAUTHENTICATED_MESSAGE });
                return;
              }
              nextMessage(message);
            })
            .build(),
        );
      },
    });
  };
}
