// mkctl create cronjob NAME --image=IMG --schedule='*/1 * * * *' [--restart=OnFailure] [-- COMMAND…]:
// kubectl's create cronjob — one container named after the CronJob, restartPolicy OnFailure by
// default, the words after -- as its command.
import { CronJob } from "@mk/proto";
import { emptyMeta, KINDS } from "@mk/proto/api";
import { AlreadyExistsError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";
import { pluralRef, refName } from "../resources.js";
import { parseDryRun } from "./apply.js";

export interface CreateCronJobFlags {
  image?: string;
  schedule?: string;
  restart?: string;
  dryRun?: string;
}

export function buildCronJob(name: string, namespace: string, image: string, schedule: string, restart: string, command: readonly string[]): CronJob {
  return CronJob.fromPartial({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: emptyMeta({ name, namespace }),
    spec: {
      schedule,
      jobTemplate: {
        metadata: emptyMeta({ name }),
        spec: { template: { metadata: emptyMeta(), spec: { containers: [{ name, image, command: [...command] }], restartPolicy: restart } } },
      },
    },
  });
}

export async function createCronJob(cli: Cli, name: string, command: string[], f: CreateCronJobFlags): Promise<void> {
  if (!f.image) throw new CliError('required flag(s) "image" not set');
  if (!f.schedule) throw new CliError('required flag(s) "schedule" not set');
  const restart = f.restart ?? "OnFailure";
  if (restart !== "OnFailure" && restart !== "Never") throw new CliError(`invalid restart policy: ${restart}`);
  const info = KINDS.CronJob;
  const cj = buildCronJob(name, cli.namespace, f.image, f.schedule, restart, command);
  const dryRun = parseDryRun(f.dryRun);
  if (dryRun !== "client") {
    const cs = await cli.client();
    try {
      await cs.resource("CronJob").create(cj, { dryRun: dryRun === "server" });
    } catch (err) {
      if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", `${pluralRef(info)} "${name}" already exists`, err);
      throw err;
    }
  }
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";
  cli.out(`${refName(info, name)} created${suffix}\n`);
}
