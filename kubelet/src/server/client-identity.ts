// Who may call the node's gRPC server (Logs, Exec): only the API server, with the client certificate
// `mkctl cluster init` issues it for kubelets (pki.ts: /O=system:masters/CN=kube-apiserver-kubelet-client).
// The TLS handshake has already checked the certificate against the cluster CA; this checks whose it
// is. Any other certificate of the CA (a node's, the scheduler's, even an admin's) is refused with
// PERMISSION_DENIED: a node must not read another node's logs or exec in its pods, and a user goes
// through the API server, which authorizes the request first.
import type { PeerCertificate } from "node:tls";
import { type ServerInterceptor, ServerInterceptingCall, ServerListenerBuilder, status } from "@grpc/grpc-js";

/** The common name of the API server's client certificate towards kubelets. */
export const API_SERVER_KUBELET_CLIENT = "kube-apiserver-kubelet-client";

/** The CN of a verified peer certificate; undefined without one (plaintext, or no certificate). */
export function peerCommonName(ctx: { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate } | null | undefined): string | undefined {
  if (ctx?.transportSecurityType !== "ssl") return undefined;
  // At run time a subject with several CN entries gives an array, whatever the typings say.
  const cn = (ctx.sslPeerCertificate?.subject as { CN?: string | string[] } | undefined)?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) || undefined;
}

/** Refuses every call whose client certificate is not the API server's (`allowed`, by CN). */
export function apiServerOnly(allowed: string = API_SERVER_KUBELET_CLIENT): ServerInterceptor {
  return (_method, call) =>
    new ServerInterceptingCall(call, {
      start: (next) => {
        next(
          new ServerListenerBuilder()
            .withOnReceiveMessage((message, nextMessage) => {
              const who = peerCommonName(call.getAuthContext());
              if (who === allowed) nextMessage(message);
              else if (who === undefined) call.sendStatus({ code: status.UNAUTHENTICATED, details: "Unauthorized: the kubelet needs a client certificate signed by the cluster CA" });
              else call.sendStatus({ code: status.PERMISSION_DENIED, details: `Forbidden: user "${who}" cannot call the kubelet: only the API server (${allowed}) may` });
            })
            .build(),
        );
      },
    });
}
