// mkctl logs POD|TYPE/NAME [CONTAINER] | -l SELECTOR  [-c CONTAINER | --all-containers] [--prefix]
// [-f] [--tail N] [--previous] [--timestamps] [--since DURATION]: the API server proxies each request
// to the kubelet of the pod's node, which reads the runtime's log. As kubectl: a selector prints
// every matching pod's logs (the last 10 lines of each unless --tail says otherwise); a
// deployment, replica set or job names one of its pods; `--prefix` starts each line with
// `[pod/NAME/CONTAINER] `.
import type { Pod } from "@mk/proto";
import { type Clientset, NotFoundError } from "@mk/proto/client";
import { type Cli, parseDuration } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { choosePod, ownerSelector } from "./logs-pods.js";

export interface LogsFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
  timestamps?: boolean;
  since?: string;
  selector?: string;
  allContainers?: boolean;
  prefix?: boolean;
  maxLogRequests?: string;
}

/** One container's log to print. */
interface Stream {
  pod: string;
  container: string;
}

/** kubectl's tail when a selector picks the pods and --tail is not given. */
const SELECTOR_TAIL = 10;

export async function logs(cli: Cli, args: string[], f: LogsFlags): Promise<void> {
  const [target, positionalContainer, ...rest] = args;
  if (f.selector && args.length > 0) throw new CliError("only a selector (-l) or a POD name is allowed");
  if (rest.length > 0) throw new CliError("expected POD_NAME or TYPE/NAME [CONTAINER_NAME]");
  if (!f.selector && target === undefined) throw new CliError("expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command");
  if (f.container && positionalContainer) throw new CliError("only one of -c or an inline [CONTAINER] arg is allowed");
  if (f.allContainers && (f.container || positionalContainer)) throw new CliError("--all-containers=true should not be specified with container name");
  let tail = f.tail === undefined ? -1 : Number(f.tail);
  if (!Number.isInteger(tail) || tail < -1) throw new CliError(`invalid argument "${f.tail}" for "--tail" flag`);
  if (f.tail === undefined && f.selector) tail = SELECTOR_TAIL;
  const maxRequests = f.maxLogRequests === undefined ? 5 : Number(f.maxLogRequests);
  if (!Number.isInteger(maxRequests) || maxRequests < 1) throw new CliError("--max-log-requests must be greater than 0");

  const cs = await cli.client();
  const pods = await podsOf(cs, cli, f.selector, target);
  if (pods.length === 0) {
    cli.err(`No resources found in ${cli.namespace} namespace.\n`);
    return;
  }
  const named = f.container ?? positionalContainer;
  const choice: ContainerChoice = f.allContainers ? { all: true } : named ? { name: named } : { byDefault: true };
  const streams = pods.flatMap((p) => containersOf(p, choice, (line) => cli.err(line)));
  if (f.follow && streams.length > maxRequests) {
    throw new CliError(
      `you are attempting to follow ${streams.length} log streams, but maximum allowed concurrency is ${maxRequests}, use --max-log-requests to increase the limit`,
    );
  }
  const abort = new AbortController();
  const onSig = () => abort.abort();
  process.once("SIGINT", onSig);
  try {
    const base = {
      namespace: cli.namespace,
      follow: f.follow ?? false,
      previous: f.previous ?? false,
      timestamps: f.timestamps ?? false,
      ...(tail >= 0 ? { tailLines: tail } : {}),
      ...(f.since ? { sinceSeconds: Math.ceil(parseDuration(f.since, "--since") / 1000) } : {}),
    };
    const one = (s: Stream) => printStream(cs, { ...base, pod: s.pod, container: s.container }, f.prefix ? `[pod/${s.pod}/${s.container}] ` : "", abort.signal);
    // Followed streams run side by side (each line whole); the others one after the other, as kubectl.
    if (f.follow) await Promise.all(streams.map(one));
    else for (const s of streams) await one(s);
  } catch (err) {
    if (err instanceof NotFoundError) throw serverError("NotFound", err.message, err);
    throw err;
  } finally {
    process.off("SIGINT", onSig);
  }
}

/** Copies one log to stdout/stderr; with a prefix, line by line (a partial line waits for its end). */
async function printStream(cs: Clientset, req: Parameters<Clientset["logs"]>[0], prefix: string, signal: AbortSignal): Promise<void> {
  const pending = { stdout: "", stderr: "" };
  const write = (stream: "stdout" | "stderr", text: string) => (stream === "stderr" ? process.stderr : process.stdout).write(text);
  for await (const chunk of cs.logs(req, signal)) {
    const stream = chunk.stream === "stderr" ? "stderr" : "stdout";
    if (!prefix) {
      write(stream, Buffer.from(chunk.data).toString());
      continue;
    }
    const text = pending[stream] + Buffer.from(chunk.data).toString();
    const cut = text.lastIndexOf("\n") + 1;
    pending[stream] = text.slice(cut);
    if (cut > 0) write(stream, text.slice(0, cut).replace(/^(?=.)/gm, prefix));
  }
  for (const stream of ["stdout", "stderr"] as const) if (pending[stream]) write(stream, `${prefix}${pending[stream]}\n`);
}

/** Which containers of each pod: every one, the named one, or the pod's default. */
export type ContainerChoice = { all: true } | { name: string } | { byDefault: true };

/** The annotation naming the container kubectl logs and exec use by default. */
const DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";

/**
 * The containers whose logs print: every one (the init containers first), the named one, or the pod's default — the annotated one, else the first — saying so as
 * kubectl does when the pod has several.
 */
export function containersOf(pod: Pod, choice: ContainerChoice, notice: (line: string) => void): Stream[] {
  const podName = pod.metadata?.name ?? "";
  const init = pod.spec?.initContainers.map((c) => c.name) ?? [];
  const main = pod.spec?.containers.map((c) => c.name) ?? [];
  if ("all" in choice) return [...init, ...main].map((container) => ({ pod: podName, container }));
  if ("name" in choice) {
    if (![...init, ...main].includes(choice.name)) throw serverError("BadRequest", `container ${choice.name} is not valid for pod ${podName}`);
    return [{ pod: podName, container: choice.name }];
  }
  const annotated = pod.metadata?.annotations[DEFAULT_CONTAINER];
  const chosen = annotated && main.includes(annotated) ? annotated : main[0];
  if (chosen === undefined) return [];
  if (!annotated && main.length + init.length > 1) {
    notice(`Defaulted container "${chosen}" out of: ${[...main, ...init.map((c) => `${c} (init)`)].join(", ")}\n`);
  }
  return [{ pod: podName, container: chosen }];
}

/** The pods a command line names: by selector, or the one pod a POD or TYPE/NAME means. */
async function podsOf(cs: Clientset, cli: Cli, selector: string | undefined, target: string | undefined): Promise<Pod[]> {
  if (selector) return (await cs.pods.list({ namespace: cli.namespace, labelSelector: selector })).items;
  const t = target ?? "";
  const slash = t.indexOf("/");
  const type = slash < 0 ? "pod" : t.slice(0, slash);
  const name = slash < 0 ? t : t.slice(slash + 1);
  if (/^(pods?|po)$/.test(type)) {
    try {
      return [await cs.pods.get(name, cli.namespace)];
    } catch (err) {
      if (err instanceof NotFoundError) throw serverError("NotFound", `pods "${name}" not found`, err);
      throw err;
    }
  }
  const owner = await ownerSelector(cs, cli.namespace, type, name);
  const pod = choosePod(owner.pods);
  if (!pod) throw new CliError(`no pods found for ${owner.ref}`);
  if (owner.pods.length > 1) cli.err(`Found ${owner.pods.length} pods, using pod/${pod.metadata?.name ?? ""}\n`);
  return [pod];
}
