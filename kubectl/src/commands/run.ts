// mkctl run NAME --image=IMG [--env K=V]… [--port P] [--labels k=v,…] [--restart Always|OnFailure|Never]
// [--image-pull-policy P] [--command] [-- ARGS…]: one bare pod, labelled run=NAME as kubectl's.
import { Pod } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { AlreadyExistsError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, serverError } from "../errors.js";

export interface RunFlags {
  image?: string;
  env: string[];
  port?: string;
  labels?: string;
  restart: string;
  imagePullPolicy?: string;
  command?: boolean;
}

export function buildRunPod(name: string, namespace: string, rest: string[], f: RunFlags): Pod {
  if (!f.image) throw new CliError("required flag(s) \"image\" not set");
  if (!["Always", "OnFailure", "Never"].includes(f.restart)) throw new CliError(`invalid restart policy: ${f.restart}`);
  const labels: Record<string, string> = f.labels ? {} : { run: name };
  if (f.labels) {
    for (const kv of f.labels.split(",")) {
      const [k, v = ""] = kv.split("=");
      if (!k) throw new CliError(`invalid label spec: ${kv}`);
      labels[k] = v;
    }
  }
  const env = f.env.map((kv) => {
    const i = kv.indexOf("=");
    if (i <= 0) throw new CliError(`invalid env: ${kv}`);
    return { name: kv.slice(0, i), value: kv.slice(i + 1) };
  });
  const port = f.port === undefined ? undefined : Number(f.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new CliError(`invalid port: ${f.port}`);
  return Pod.fromPartial({
    apiVersion: "v1",
    kind: "Pod",
    metadata: emptyMeta({ name, namespace, labels }),
    spec: {
      restartPolicy: f.restart,
      containers: [
        {
          name,
          image: f.image,
          imagePullPolicy: f.imagePullPolicy ?? "",
          command: f.command ? rest : [],
          args: f.command ? [] : rest,
          env,
          ports: port === undefined ? [] : [{ name: "", containerPort: port, hostPort: 0, protocol: "TCP", hostIp: "" }],
        },
      ],
    },
  });
}

export async function run(cli: Cli, name: string, rest: string[], f: RunFlags): Promise<void> {
  const pod = buildRunPod(name, cli.namespace, rest, f);
  const cs = await cli.client();
  try {
    await cs.pods.create(pod);
  } catch (err) {
    if (err instanceof AlreadyExistsError) throw serverError("AlreadyExists", err.message, err);
    throw err;
  }
  cli.out(`pod/${name} created\n`);
}
