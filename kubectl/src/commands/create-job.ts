// mkctl create job NAME --image=IMG [-- COMMAND [ARGS…]]: kubectl's create job — one container named
// after the Job, restartPolicy Never, the words after -- as its command. With --from=cronjob/CJ, the
// CronJob's Job template instead, owned by the CronJob and annotated as a manual run, as kubectl does.
import { type CronJob, Job } from "@mk/proto";
import { emptyMeta, KINDS } from "@mk/proto/api";
import { AlreadyExistsError, isNotFound } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { pluralRef, refName } from "../resources.js";
import { parseDryRun } from "./apply.js";

export interface CreateJobFlags {
  image?: string;
  from?: string;
  dryRun?: string;
}

/** kubectl's annotation on a Job made from a CronJob by hand. */
export const INSTANTIATE_ANNOTATION = "cronjob.kubernetes.io/instantiate";

export function jobFromCronJob(name: string, cj: CronJob): Job {
  const t = cj.spec?.jobTemplate;
  return Job.fromPartial({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: emptyMeta({
      name,
      namespace: cj.metadata?.namespace ?? "default",
      labels: { ...t?.metadata?.labels },
      annotations: { [INSTANTIATE_ANNOTATION]: "manual", ...t?.metadata?.annotations },
      ownerReferences: [{ apiVersion: "batch/v1", kind: "CronJob", name: cj.metadata?.name ?? "", uid: cj.metadata?.uid ?? "", controller: true, blockOwnerDeletion: false }],
    }),
    ...(t?.spec ? { spec: t.spec } : {}),
  });
}

async function fromCronJob(cli: Cli, name: string, from: string): Promise<Job> {
  const m = /^(?:cronjob|cronjobs|cj|cronjob\.batch)\/(.+)$/.exec(from);
  if (!m?.[1]) throw new CliError(`from must be of the form cronjob/NAME (only cronjobs are supported): ${from}`);
  const cs = await cli.client();
  try {
    return jobFromCronJob(name, await cs.resource("CronJob").get(m[1], cli.namespace));
  } catch (err) {
    if (isNotFound(err)) throw serverError("NotFound", `cronjobs.batch "${m[1]}" not found`, err);
    throw err;
  }
}

export function buildJob(name: string, namespace: string, image: string, command: readonly string[]): Job {
  return Job.fromPartial({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: emptyMeta({ name, namespace }),
    spec: {
      template: {
        metadata: emptyMeta(),
        spec: { containers: [{ name, image, command: [...command] }], restartPolicy: "Never" },
      },
    },
  });
}

export async function createJob(cli: Cli, name: string, command: string[], f: CreateJobFlags): Promise<void> {
  if (f.from && (f.image || command.length > 0)) throw new CliError("cannot specify --from and --image or a command");
  if (!f.from && !f.image) throw new CliError("required flag(s) \"image\" not set");
  const info = KINDS.Job;
  const job = f.from ? await fromCronJob(cli, name, f.from) : buildJob(name, cli.namespace, f.image ?? "", command);
  const dryRun = parseDryRun(f.dryRun);
  if (dryRun !== "client") {
    const cs = await cli.client();
    try {
      await cs.resource("Job").create(job, { dryRun: dryRun === "server" });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", `${pluralRef(info)} "${name}" already exists`, err);
      throw err;
    }
  }
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  cli.out(`${refName(info, name)} created${suffix}\n`);
}
