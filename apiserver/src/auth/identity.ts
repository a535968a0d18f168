// Who is calling: the subject of the client certificate the TLS handshake verified against the
// cluster CA (CN is the user, each O a group), as Kubernetes' x509 authenticator reads it.
import type { PeerCertificate } from "node:tls";
import type { ServerInterceptingCallInterface } from "@grpc/grpc-js";

type AuthContext = ReturnType<ServerInterceptingCallInterface["getAuthContext"]>;

export interface UserInfo {
  name: string;
  groups: string[];
}

/** Why a request without a verified client certificate is refused. */
export const UNAUTHENTICATED_MESSAGE = "Unauthorized: the request carries no client certificate signed by the cluster CA";

export const MASTERS_GROUP = "system:masters";
export const NODES_GROUP = "system:nodes";
export const NODE_USER_PREFIX = "system:node:";

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function userFromCertificate(cert: PeerCertificate | undefined): UserInfo | undefined {
  // At run time a subject with several O (or CN) entries gives arrays, whatever the typings say.
  const subject = cert?.subject as { CN?: string | string[]; O?: string | string[] } | undefined;
  const name = list(subject?.CN)[0];
  if (!name) return undefined;
  return { name, groups: list(subject?.O) };
}

/** The user of a call: undefined when the connection carries no verified client certificate. */
export function userOf(ctx: AuthContext | null | undefined): UserInfo | undefined {
  if (ctx?.transportSecurityType !== "ssl") return undefined;
  return userFromCertificate(ctx.sslPeerCertificate);
}

/** The node a user acts for (`system:node:<name>` in group system:nodes), if it is one. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length) || undefined;
}
