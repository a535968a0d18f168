// The Bootstrap service: the only one served to callers without a client certificate. It hands
// out the CA certificate (public; the joiner checks its hash), and trades a valid bootstrap token
// and a CSR for a node certificate. Typed errors become gRPC statuses once, here.
import type { ServerUnaryCall, ServiceError, sendUnaryData } from "@grpc/grpc-js";
import type { BootstrapServer, ClusterInfo, JoinResponse } from "@mk/proto";
import { toServiceError, UnauthorizedError } from "@mk/proto/client";
import type { Logger } from "pino";
import { type CaFiles, signNodeCertificate } from "../../auth/signer.js";
import { checkToken } from "../../auth/tokens.js";

export interface BootstrapDeps {
  caCertificate: string;
  /** Present when this server may sign node certificates (--ca-key and --bootstrap-token-file). */
  signer?: { ca: CaFiles; tokenFile: string } | undefined;
  log: Logger;
}

function unary<Q, R>(fn: (req: Q, peer: string) => Promise<R>) {
  return (call: ServerUnaryCall<Q, R>, callback: sendUnaryData<R>) => {
    fn(call.request, call.getPeer()).then(
      (res) => callback(null, res),
      (err: unknown) => callback(toServiceError(err) as ServiceError),
    );
  };
}

export function bootstrapService(deps: BootstrapDeps): BootstrapServer {
  return {
    getClusterInfo: unary(async (): Promise<ClusterInfo> => ({ caCertificate: deps.caCertificate })),
    join: unary(async (req, peer): Promise<JoinResponse> => {
      const signer = deps.signer;
      if (!signer) throw new UnauthorizedError("this API server does not accept joins (it was started without --ca-key and --bootstrap-token-file)");
      const check = await checkToken(signer.tokenFile, req.token);
      if (!check.valid) {
        deps.log.warn({ node: req.nodeName, peer, reason: check.reason }, "join refused");
        throw new UnauthorizedError(`join refused: ${check.reason}`);
      }
      const certificate = await signNodeCertificate(signer.ca, req.nodeName, req.nodeIp, req.certificateRequest);
      deps.log.info({ node: req.nodeName, nodeIp: req.nodeIp, peer }, "node certificate issued");
      return { certificate, caCertificate: deps.caCertificate };
    }),
  };
}
