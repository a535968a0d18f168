// mkctl logs POD [-c CONTAINER] [-f] [--tail N] [--previous] [--timestamps] [--since DURATION]:
// the API server proxies the request to the kubelet of the pod's node, which reads the runtime's log.
import { NotFoundError } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError, serverError } from "../errors.js";

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
  timestamps?: boolean;
  since?: string;
}

export async function logs(cli: Cli, target: string, f: LogsFlags): Promise<void> {
  const pod = target.replace(/^(pods?|po)\//, "");
  const tail = f.tail === undefined ? -1 : Number(f.tail);
  if (!Number.isInteger(tail) || tail < -1) throw new CliError(`invalid argument "${f.tail}" for "--tail" flag`);
  const cs = await cli.client();
  const abort = new AbortController();
  const onSig = () => abort.abort();
  process.once("SIGINT", onSig);
  try {
    const req: Parameters<typeof cs.logs>[0] = {
      namespace: cli.namespace,
      pod,
      container: f.container ?? "",
      follow: f.follow ?? false,
      previous: f.previous ?? false,
      timestamps: f.timestamps ?? false,
    };
    if (tail >= 0) req.tailLines = tail;
    if (f.since) req.sinceSeconds = Math.ceil(parseDuration(f.since, "--since") / 1000);
    for await (const chunk of cs.logs(req, abort.signal)) {
      const data = Buffer.from(chunk.data);
      if (chunk.stream === "stderr") process.stderr.write(data);
      else process.stdout.write(data);
    }
  } catch (err) {
    if (err instanceof NotFoundError) throw serverError("NotFound", err.message, err);
    throw err;
  } finally {
    process.off("SIGINT", onSig);
  }
}
