// `mkctl cluster balance` (hidden): the TCP balancer (cluster/balancer.ts) that `cluster up --ha`
// runs at the cluster's address and deploy/vm's mk-balancer.service on every machine at 127.0.0.1:6440;
// with --watch-apiservers it also keeps its backends file to the kubernetes Service's endpoints
// (cluster/apiserver-endpoints.ts).
import { readFileSync } from "node:fs";
import { tlsFromFiles } from "@mk/proto/client";
import { Command } from "commander";
import { watchApiServers } from "../cluster/apiserver-endpoints.js";
import { TcpBalancer } from "../cluster/balancer.js";

interface BalanceFlags {
  listen: string;
  healthListen: string;
  backend: string[];
  backendsFile?: string;
  healthCa?: string;
  watchApiservers?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export function balanceCommand(): Command {
  return new Command("balance")
    .description("The TCP balancer `up --ha` runs at the cluster's address, and mk-balancer.service on each machine, in front of the API servers")
    .requiredOption("--listen <host:port>", "where clients connect")
    .option("--health-listen <host:port>", "plain-HTTP /healthz and /backends", "")
    .option("--backend <address=readyz-url>", "an API server and its readiness URL (repeat for each)", (v: string, all: string[]) => [...all, v], [] as string[])
    .option("--backends-file <path>", "more API servers, one ADDRESS=READYZ-URL or ADDRESS (checked at https://ADDRESS/readyz) a line, re-read every check")
    .option("--health-ca <path>", "the CA the API servers' certificates are checked against by HTTPS health checks")
    .option("--watch-apiservers", "keep --backends-file to the endpoints of the kubernetes Service in default, watched through --listen with --tls-ca/--tls-cert/--tls-key")
    .option("--tls-ca <path>", "with --watch-apiservers: the cluster CA")
    .option("--tls-cert <path>", "with --watch-apiservers: a client certificate that may read EndpointSlices (a node's or a control plane's)")
    .option("--tls-key <path>", "with --watch-apiservers: its key")
    .action(async (opts: BalanceFlags) => {
      const backends = opts.backend.map((b) => {
        const i = b.indexOf("=");
        if (i <= 0) throw new Error(`--backend ${JSON.stringify(b)}: want HOST:PORT=READYZ-URL`);
        return { address: b.slice(0, i), healthUrl: b.slice(i + 1) };
      });
      if (opts.watchApiservers && !opts.backendsFile) throw new Error("--watch-apiservers needs --backends-file: the file it keeps");
      const tls = tlsFromFiles({ ca: opts.tlsCa, cert: opts.tlsCert, key: opts.tlsKey });
      const log = (msg: string, fields: Record<string, unknown> = {}) => process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
      const healthCa = opts.healthCa === undefined ? undefined : readFileSync(opts.healthCa);
      const lb = new TcpBalancer({ listen: opts.listen, healthListen: opts.healthListen, backends, backendsFile: opts.backendsFile, healthCa, log });
      await lb.start();
      log("balancing", { listen: opts.listen, backends: backends.map((b) => b.address), backendsFile: opts.backendsFile });
      const stop = new AbortController();
      // The informer's fields, an error as its message (JSON.stringify drops an Error's).
      const fields = (o: object) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v instanceof Error ? v.message : v]));
      const logger = { info: (o: object, m: string) => log(m, fields(o)), warn: (o: object, m: string) => log(m, fields(o)), error: (o: object, m: string) => log(m, fields(o)) };
      const watching =
        opts.watchApiservers && opts.backendsFile ? watchApiServers({ server: opts.listen, tls, file: opts.backendsFile, log: logger, signal: stop.signal }) : Promise.resolve();
      await new Promise<void>((resolve) => {
        process.once("SIGTERM", resolve);
        process.once("SIGINT", resolve);
      });
      stop.abort();
      await Promise.all([watching, lb.stop()]);
    });
}
