// mkctl logs POD [-c CONTAINER] [-f] [--tail N] [--previous] [--timestamps] [--since DURATION]:
// the API server proxies the request to the kubelet of the pod's node, which reads the runtime's log.
import { type Clientset, NotFoundError } from "@mk/proto/client";
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
  const tail = f.tail === undefined ? -1 : Number(f.tail);
  if (!Number.isInteger(tail) || tail < -1) throw new CliError(`invalid argument "${f.tail}" for "--tail" flag`);
  const cs = await cli.client();
  const pod = await podOf(cs, cli, target);
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

/**
 * The pod a logs target names: `POD`, `pod/POD`, or `job/NAME` — a Job's pod, as kubectl picks one
 * (the first by name; it says which when there are several).
 */
async function podOf(cs: Clientset, cli: Cli, target: string): Promise<string> {
  const job = /^jobs?(\.batch)?\/(.+)$/.exec(target)?.[2];
  if (job === undefined) return target.replace(/^(pods?|po)\//, "");
  let uid: string;
  try {
    uid = (await cs.resource("Job").get(job, cli.namespace)).metadata?.uid ?? "";
  } catch (err) {
    if (err instanceof NotFoundError) throw serverError("NotFound", `jobs.batch "${job}" not found`, err);
    throw err;
  }
  const pods = (await cs.pods.list({ namespace: cli.namespace }))
    .items.filter((p) => p.metadata?.ownerReferences.some((r) => r.uid === uid))
    .map((p) => p.metadata?.name ?? "")
    .sort();
  const first = pods[0];
  if (first === undefined) throw new CliError(`no pods found for job/${job}`);
  if (pods.length > 1) process.stderr.write(`Found ${pods.length} pods, using pod/${first}\n`);
  return first;
}
