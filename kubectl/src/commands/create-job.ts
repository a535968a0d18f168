// mkctl create job NAME --image=IMG [-- COMMAND [ARGS…]]: kubectl's create job — one container named
// after the Job, restartPolicy Never, the words after -- as its command.
import { Job } from "@mk/proto";
import { emptyMeta, KINDS } from "@mk/proto/api";
import { AlreadyExistsError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { pluralRef, refName } from "../resources.js";
import { parseDryRun } from "./apply.js";

export interface CreateJobFlags {
  image?: string;
  dryRun?: string;
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
  if (!f.image) throw new CliError("required flag(s) \"image\" not set");
  const info = KINDS.Job;
  const job = buildJob(name, cli.namespace, f.image, command);
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
