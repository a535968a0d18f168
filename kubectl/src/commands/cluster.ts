// `mkctl cluster up|down|status` (and the hidden `supervise` that `up` runs in the background).
import { spawn } from "node:child_process";
import { openSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { kubeDnsClusterIp, parseCidr } from "@mk/proto";
import { Command, Option } from "commander";
import { durationOption } from "../argv.js";
import { resolveComponent } from "../cluster/binaries.js";
import { DOCKER_DAEMON_JSON, DOCKERD_PIDFILE, parseRegistry } from "../cluster/docker-daemon-config.js";
import { joinControlPlane, leaveControlPlane, memberRows, startMembers, stopMembers } from "../cluster/control-plane-join.js";
import { joinCluster } from "../cluster/join.js";
import { balanceCommand } from "./balance.js";
import { etcdMemberCommand } from "./etcd-member.js";
import { kubeletEnvFile, writeKubeletEnvFile } from "../cluster/kubelet-env.js";
import { clusterDown, clusterStatus, clusterUp, loadLabSettings, loadSettings, savedSettings } from "../cluster/control.js";
import { labLayout, MAX_LAB_NODES } from "../cluster/lab/layout.js";
import { labPodRoutes } from "../cluster/lab/pod-routes.js";
import { waitNodesReady } from "../cluster/nodes-ready.js";
import { clusterTopology } from "../cluster/topology.js";
import { NODE_ACTIONS, isNodeAction, nodeAction } from "../cluster/lab/node.js";
import { prepareNodeEngine } from "../cluster/node-engine.js";
import { clusterPaths, mkHome } from "../cluster/paths.js";
import { initPki, pkiPaths } from "../cluster/pki.js";
import { isAlive, readState } from "../cluster/state.js";
import { registryAddress, registryBinary } from "../cluster/registry.js";
import { DEFAULT_SERVICE_CLUSTER_IP_RANGE, portsFrom } from "../cluster/settings.js";
import { supervise } from "../cluster/supervisor.js";
import { normalizeServer, writeContext } from "../config.js";
import { parseDurationFlag } from "../duration.js";

export interface ClusterHooks {
  /** Called once the API server is ready, to point mkctl's config at it. */
  onReady(server: string, tls?: { ca: string; cert: string; key: string }): void | Promise<void>;
}

/** A duration flag (checked as Go's syntax while parsing; a bare number is seconds) in whole seconds. */
function seconds(value: string): number {
  return Math.round(parseDurationFlag(value) / 1000);
}

const say = (line: string) => process.stderr.write(`${line}\n`);

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3))).join("")).join("\n");
}

/** A CIDR flag's value, or an error naming the flag. */
function cidrOption(flag: string, value: string): string {
  try {
    parseCidr(value);
  } catch (err) {
    throw new Error(`${flag}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return value;
}

/** --dns-upstream: IP or IP:PORT, comma-separated (the API server checks them again). */
function dnsUpstreamOption(value: string): string {
  const list = value.split(",").map((u) => u.trim()).filter((u) => u !== "");
  const bad = list.find((u) => !/^\d+\.\d+\.\d+\.\d+(:\d+)?$/.test(u));
  if (list.length === 0 || bad !== undefined) throw new Error(`--dns-upstream "${bad ?? value}": want IP or IP:PORT, comma-separated`);
  return list.join(",");
}

/** A HOST:PORT flag's value (an IPv6 host in brackets), or an error naming the flag. */
function hostPortOption(flag: string, value: string): string {
  if (!/^[^:/\s]+:\d+$|^\[[0-9a-fA-F:]+\]:\d+$/.test(value)) throw new Error(`${flag} ${JSON.stringify(value)}: want HOST:PORT, e.g. 127.0.0.1:6440`);
  return value;
}

/** The kubelet's default cluster id for a server (kubelet/src/runtime/names.ts clusterIdOf): the address as given, without scheme. */
function clusterIdOf(server: string): string {
  return server.trim().toLowerCase().replace(/^(https?|grpcs?):\/\//, "").replace(/\/+$/, "");
}

interface JoinFlags {
  token?: string;
  caCertHash?: string;
  nodeIp?: string;
  nodeName?: string;
  dir?: string;
  start: boolean;
  kubeletEnvFile?: string;
  kubeletServer?: string;
  registry?: string;
  dockerDaemonConfig: string;
  dockerdPidfile: string;
  controlPlane?: boolean;
  clusterDir?: string;
  etcdPort?: number;
  apiPort?: number;
  timeout?: string;
}

/** `cluster join --control-plane`: the member's own directory and ports are required; a node's flags are refused. */
async function controlPlaneJoin(opts: JoinFlags): Promise<void> {
  for (const [flag, value] of [["--token", opts.token], ["--ca-cert-hash", opts.caCertHash], ["--node-ip", opts.nodeIp], ["--registry", opts.registry], ["--kubelet-env-file", opts.kubeletEnvFile]] as const) {
    if (value !== undefined) throw new Error(`${flag} is a node's join flag: a control-plane member takes --cluster-dir, --dir, --node-name, --etcd-port and --api-port`);
  }
  if (opts.dir === undefined) throw new Error("--control-plane needs --dir: the member's own directory (settings, certificates, data, logs)");
  if (opts.etcdPort === undefined || opts.apiPort === undefined) throw new Error("--control-plane needs --etcd-port and --api-port: the member's own ports (its etcd uses the next two, its API server the next one)");
  const name = (opts.nodeName ?? hostname()).toLowerCase();
  const record = await joinControlPlane(
    {
      clusterDir: opts.clusterDir ?? clusterPaths().root,
      dir: opts.dir,
      name,
      etcdPort: opts.etcdPort,
      apiPort: opts.apiPort,
      timeoutMs: opts.timeout !== undefined ? parseDurationFlag(opts.timeout) : 120_000,
    },
    say,
  );
  process.stdout.write(`control-plane member ${record.name} joined: ${record.etcd.component} ${record.etcd.clientUrl}, ${record.apiserver.component} ${record.apiserver.address}\n`);
}

export function clusterCommand(hooks: ClusterHooks): Command {
  const cluster = new Command("cluster").description("Run a local mk cluster: etcd, the control plane and the nodes");
  const dirOption = () => new Option("--dir <path>", "state directory (default $MK_HOME/cluster, MK_HOME defaults to ~/.mk)");

  cluster
    .command("up")
    .description("Start the local cluster in the background and wait until it is Ready")
    .addOption(dirOption())
    .option("--api-port <port>", "API server port; the next six ports serve health checks, kubelets and the image registry", (v) => Number.parseInt(v, 10))
    .option("--nodes <n>", "how many nodes (kubelets), each on its own 127.0.0.N (default 2)", (v) => Number.parseInt(v, 10))
    .option("--node-prefix <name>", "node names are NAME-1, NAME-2 … (default node)")
    .option("--etcd-port <port>", "etcd client port (its peer port is the next one)", (v) => Number.parseInt(v, 10))
    .addOption(durationOption("--timeout <duration>", "how long to wait for Ready (default 60s; a lab's first start loads images: 120s; a bare number is seconds)"))
    .option("--tls", "mutual TLS everywhere (the default): init's certificates, kubelets joined with a bootstrap token; turns TLS back on after --insecure")
    .option("--insecure", "plaintext everywhere, no certificates and no authentication (kept for later ups until --tls)")
    .option("--cluster-cidr <cidr>", "the pods' range: each node gets a podCIDR from it (default 10.244.0.0/16; distinct per cluster on one host)")
    .option("--service-cluster-ip-range <cidr>", "the Services' range (default 10.96.0.0/12)")
    .option("--dns-upstream <ip[:port],...>", "where the cluster DNS sends names outside cluster.local (default: the host's resolvers)")
    .option("--ha", "a control plane that survives losing a member: 3 etcd members, 2 API servers behind the cluster's address, 2 schedulers, 2 controller managers (kept for later ups)")
    .option("--balancer", "the TCP balancer at the cluster's address with one API server too, so that `cluster join --control-plane` can add more (kept for later ups)")
    .option(
      "--isolated",
      "lab mode (root): each node is a network namespace on a bridge, with its own dockerd and kubelet; the control plane listens on the bridge",
    )
    .action(async (opts: { dir?: string; apiPort?: number; etcdPort?: number; nodes?: number; nodePrefix?: string; timeout?: string; isolated?: boolean; ha?: boolean; balancer?: boolean; tls?: boolean; insecure?: boolean; clusterCidr?: string; serviceClusterIpRange?: string; dnsUpstream?: string }) => {
      if (opts.tls && opts.insecure) throw new Error("--tls and --insecure contradict each other: give one");
      const paths = clusterPaths(opts.dir);
      const overrides = {
        ...(opts.apiPort ? portsFrom(opts.apiPort) : {}),
        ...(opts.nodes !== undefined ? { nodes: opts.nodes } : {}),
        ...(opts.nodePrefix ? { nodePrefix: opts.nodePrefix } : {}),
        ...(opts.etcdPort ? { etcdPort: opts.etcdPort } : {}),
        ...(opts.insecure ? { tls: false } : opts.tls ? { tls: true } : {}),
        ...(opts.ha ? { ha: true } : {}),
        ...(opts.balancer ? { balancer: true } : {}),
        ...(opts.clusterCidr !== undefined ? { clusterCidr: cidrOption("--cluster-cidr", opts.clusterCidr) } : {}),
        ...(opts.serviceClusterIpRange !== undefined ? { serviceClusterIpRange: cidrOption("--service-cluster-ip-range", opts.serviceClusterIpRange) } : {}),
        ...(opts.dnsUpstream !== undefined ? { dnsUpstream: dnsUpstreamOption(opts.dnsUpstream) } : {}),
      };
      // A running cluster keeps the transport it started with: switching needs its processes restarted.
      const before = savedSettings(paths);
      const running = readState(paths.state);
      if (overrides.tls !== undefined && before && running && isAlive(running.supervisorPid) && before.tls !== overrides.tls) {
        throw new Error(`the cluster runs ${before.tls ? "with" : "without"} TLS: stop it first (mkctl cluster down), then up ${overrides.tls ? "--tls" : "--insecure"}`);
      }
      if ((opts.ha || opts.balancer) && before && !before.ha && !(opts.balancer && before.balancer) && running && isAlive(running.supervisorPid)) {
        throw new Error(`the cluster runs with a single control plane: stop it first (mkctl cluster down), then up ${opts.ha ? "--ha" : "--balancer"}`);
      }
      // A lab stays a lab: a later `up` without --isolated brings the same lab back.
      const lab = opts.isolated || before?.isolated === true;
      const settings = lab ? await loadLabSettings(paths, overrides) : loadSettings(paths, overrides);
      if (settings.isolated && (settings.nodes < 1 || settings.nodes > MAX_LAB_NODES)) {
        throw new Error(`--nodes ${settings.nodes}: a lab has 1 to ${MAX_LAB_NODES} nodes`);
      }
      // Control-plane members joined to it (cluster join --control-plane) start with it: its etcd may need their votes.
      startMembers(paths.root, say);
      await clusterUp(paths, settings, say, opts.timeout !== undefined ? parseDurationFlag(opts.timeout) : (settings.isolated ? 120 : 60) * 1000);
      const server = `${settings.host}:${settings.apiPort}`;
      const pki = pkiPaths(paths.pki);
      const tls = settings.tls ? { ca: pki.ca.cert, cert: pki.admin.cert, key: pki.admin.key } : undefined;
      // No kubelet binary built: no nodes to wait for.
      const nodeNames = resolveComponent("kubelet") ? clusterTopology(settings, paths).nodes.map((n) => n.name) : [];
      const nodes = await waitNodesReady({ server, tls }, nodeNames, opts.timeout !== undefined ? parseDurationFlag(opts.timeout) : (settings.isolated ? 120 : 60) * 1000);
      say(`nodes ready: ${nodeNames.map((n) => `${n} ${nodes.get(n)?.spec?.podCidr}`).join(", ")}`);
      if (settings.isolated) {
        const routed = await labPodRoutes(labLayout(settings, paths), nodes);
        say(`pod routes on the host: ${[...routed].map(([node, cidr]) => `${cidr} via ${node}`).join(", ")}`);
      }
      if (settings.dnsPort) {
        say(`cluster DNS on ${settings.host}:${settings.dnsPort}, Service kube-system/kube-dns at ${kubeDnsClusterIp(settings.serviceClusterIpRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE)}`);
      }
      await hooks.onReady(server, tls);
      if (registryBinary()) say(`images: docker push ${registryAddress(settings)}/NAME:TAG, then --image=${registryAddress(settings)}/NAME:TAG`);
      say(`mkctl now talks to ${server} (try: mkctl get nodes)`);
    });

  cluster
    .command("init")
    .description("Create the cluster's CA, certificates and a bootstrap token; print the join command for nodes")
    .addOption(dirOption())
    .option("--advertise-address <ip>", "the address nodes reach the API server at (in its certificate)", "127.0.0.1")
    .option("--api-port <port>", "the API server's port (for the join command)", (v) => Number.parseInt(v, 10), 6443)
    .option("--apiserver-cert-extra-sans <names>", "more IPs or DNS names for the API server's certificate, comma-separated", "")
    .addOption(durationOption("--token-ttl <duration>", "how long the bootstrap token is valid (24h, 1h30m, 90s)", "24h"))
    .option("--registry <host:port>", "the cluster's image registry, as nodes reach it (for the join command)")
    .option("--kubeconfig-server <host:port>", "the address admin.conf names, when not the advertise address: this machine's balancer (mk-balancer.service, 127.0.0.1:6440)")
    .action(async (opts: { dir?: string; advertiseAddress: string; apiPort: number; apiserverCertExtraSans: string; tokenTtl: string; registry?: string; kubeconfigServer?: string }) => {
      if (opts.kubeconfigServer !== undefined) hostPortOption("--kubeconfig-server", opts.kubeconfigServer);
      const registry = opts.registry === undefined ? undefined : parseRegistry(opts.registry);
      const paths = clusterPaths(opts.dir);
      const out = await initPki({
        dir: paths.pki,
        advertiseAddress: opts.advertiseAddress,
        extraSans: opts.apiserverCertExtraSans.split(",").filter((s) => s !== ""),
        tokenTtlSeconds: seconds(opts.tokenTtl),
      });
      const server = normalizeServer(`${opts.advertiseAddress.includes(":") ? `[${opts.advertiseAddress}]` : opts.advertiseAddress}:${opts.apiPort}`);
      writeContext(
        { name: "mk-admin", server: opts.kubeconfigServer === undefined ? server : normalizeServer(opts.kubeconfigServer), certificateAuthority: out.pki.ca.cert, clientCertificate: out.pki.admin.cert, clientKey: out.pki.admin.key, setCurrent: false },
        join(paths.root, "admin.conf"),
      );
      say(`${out.created ? "created" : "kept"} the cluster CA and certificates in ${paths.pki}`);
      say(`admin credentials: MK_CONFIG=${join(paths.root, "admin.conf")}`);
      process.stdout.write(`mkctl cluster join ${server} --token ${out.token} --ca-cert-hash ${out.caCertHash} --node-ip NODE_IP${registry ? ` --registry ${registry}` : ""}\n`);
    });

  cluster
    .command("join")
    .description(
      "Join this host to a cluster as a node: check the CA's hash, trade the token for a kubelet certificate, start the kubelet; with --control-plane, add an etcd member and an API server to a cluster running on this machine",
    )
    .argument("[server]", "the API server, HOST:PORT (a node's join)")
    .option("--token <token>", "the bootstrap token `mkctl cluster init` printed")
    .option("--ca-cert-hash <sha256:hex>", "the hash of the cluster CA's public key `mkctl cluster init` printed")
    .option("--node-ip <ip>", "this node's address, as the control plane reaches it (must be one of this host's)")
    .option("--node-name <name>", "this node's name (default: the hostname); with --control-plane, the etcd member's name")
    .option("--dir <path>", "where the kubelet's certificate, key and CA go (default $MK_HOME/kubelet/NAME); with --control-plane, the member's own directory")
    .option("--control-plane", "add a control-plane member (an etcd member, a learner then promoted, and an API server behind the cluster's balancer) to the cluster in --cluster-dir")
    .option("--cluster-dir <path>", "with --control-plane: the running cluster's directory, whose CA issues the member's certificates (default $MK_HOME/cluster)")
    .option("--etcd-port <port>", "with --control-plane: the member's etcd client port (peer the next, health the one after)", (v) => Number.parseInt(v, 10))
    .option("--api-port <port>", "with --control-plane: the member's API server port (its /readyz the next)", (v) => Number.parseInt(v, 10))
    .addOption(durationOption("--timeout <duration>", "with --control-plane: how long to wait for the member to be ready (default 120s)"))
    .option("--no-start", "only obtain the certificate (a service manager starts the kubelet)")
    .option("--registry <host:port>", "the cluster's image registry: this host's dockerd trusts it over plain HTTP (daemon.json's insecure-registries, reloaded)")
    .option("--docker-daemon-config <path>", "the dockerd configuration --registry is merged into", DOCKER_DAEMON_JSON)
    .option("--dockerd-pidfile <path>", "the pidfile of the dockerd to reload", DOCKERD_PIDFILE)
    .option("--kubelet-env-file <path>", "with --no-start: also write the kubelet's flags there as MK_KUBELET_ARGS, for mk-kubelet.service")
    .option("--kubelet-server <host:port>", "the address the kubelet reaches the API at, when not the server joined: this machine's balancer (mk-balancer.service, 127.0.0.1:6440)")
    .action(async (server: string | undefined, opts: JoinFlags) => {
      if (opts.controlPlane) return await controlPlaneJoin(opts);
      if (server === undefined) throw new Error("missing required argument 'server'");
      for (const [flag, value] of [["--token <token>", opts.token], ["--ca-cert-hash <sha256:hex>", opts.caCertHash], ["--node-ip <ip>", opts.nodeIp]] as const) {
        if (value === undefined) throw new Error(`required option '${flag}' not specified`);
      }
      const { token, caCertHash, nodeIp } = opts as JoinFlags & { token: string; caCertHash: string; nodeIp: string };
      const registry = opts.registry === undefined ? undefined : parseRegistry(opts.registry);
      const nodeName = (opts.nodeName ?? hostname()).toLowerCase();
      const dir = opts.dir ?? join(mkHome(), "kubelet", nodeName);
      if (opts.kubeletEnvFile !== undefined && opts.start) throw new Error("--kubelet-env-file goes with --no-start: a service manager starts the kubelet with those flags");
      // Every kubelet flag is made of these values: refuse one the env file cannot carry before joining.
      if (opts.kubeletServer !== undefined) hostPortOption("--kubelet-server", opts.kubeletServer);
      if (opts.kubeletEnvFile !== undefined) kubeletEnvFile([normalizeServer(server), nodeName, nodeIp, dir]);
      const files = await joinCluster({ server: normalizeServer(server), token, caCertHash, nodeIp, nodeName, dir });
      say(`node ${nodeName}: certificate for system:node:${nodeName} in ${files.cert}`);
      await prepareNodeEngine({ registry, daemonConfig: opts.dockerDaemonConfig, dockerdPidfile: opts.dockerdPidfile }, say);
      // Through a balancer the kubelet keeps the cluster id the server joined gives it (its containers'
      // and rules' labels), not one named after 127.0.0.1.
      const kubeletServer = opts.kubeletServer === undefined ? normalizeServer(server) : normalizeServer(opts.kubeletServer);
      const clusterId = kubeletServer === normalizeServer(server) ? [] : ["--cluster-id", clusterIdOf(normalizeServer(server))];
      const args = ["--server", kubeletServer, ...clusterId, "--node-name", nodeName, "--node-ip", nodeIp, "--tls-ca", files.ca, "--tls-cert", files.cert, "--tls-key", files.key];
      if (!opts.start) {
        if (opts.kubeletEnvFile !== undefined) {
          writeKubeletEnvFile(opts.kubeletEnvFile, args);
          say(`kubelet flags in ${opts.kubeletEnvFile}`);
        }
        process.stdout.write(`mk-kubelet ${args.join(" ")}\n`);
        return;
      }
      const kubelet = resolveComponent("kubelet");
      if (!kubelet) throw new Error("mk-kubelet is not built or on PATH");
      const log = join(dir, "kubelet.log");
      const child = spawn(kubelet.command, [...kubelet.args, ...args], { detached: true, stdio: ["ignore", openSync(log, "a"), openSync(log, "a")] });
      child.unref();
      say(`kubelet started (pid ${child.pid}), log ${log}`);
    });

  cluster.addCommand(etcdMemberCommand(say));

  cluster
    .command("leave")
    .description("Take a control-plane member (cluster join --control-plane) out of its cluster: off the balancer, its etcd member removed, stopped, its etcd data deleted")
    .requiredOption("--dir <path>", "the member's directory (join's --dir)")
    .action(async (opts: { dir: string }) => {
      await leaveControlPlane(opts.dir, say);
    });

  cluster
    .command("down")
    .description("Stop the local cluster; its data is kept for the next `up` (a lab's namespaces, veths and bridge are removed)")
    .addOption(dirOption())
    .action(async (opts: { dir?: string }) => {
      const paths = clusterPaths(opts.dir);
      // Control-plane members joined to it (cluster join --control-plane) stop first.
      await stopMembers(paths.root, say);
      await clusterDown(paths, say);
    });

  cluster
    .command("status")
    .description("List the cluster's components with pid, address, health and log file")
    .addOption(dirOption())
    .action(async (opts: { dir?: string }) => {
      const paths = clusterPaths(opts.dir);
      const { running, ha, rows: own } = await clusterStatus(paths);
      // Control-plane members joined to it follow its own rows, with their etcd's role.
      const members = running ? await memberRows(paths.root) : [];
      const rows = [...own, ...members];
      if (!running) {
        say("local cluster is not running (start it with: mkctl cluster up)");
        process.exitCode = 1;
        return;
      }
      // An HA cluster (up --ha) adds ROLE: etcd leader/follower, which scheduler and controller manager lead.
      const roles = ha || members.length > 0;
      const out = [["COMPONENT", "PID", "ADDRESS", ...(roles ? ["ROLE"] : []), "HEALTH", "RESTARTS", "LOG"]];
      for (const r of rows) out.push([r.name, r.pid ? String(r.pid) : "-", r.address, ...(roles ? [r.role] : []), r.health, String(r.restarts), r.log]);
      process.stdout.write(`${table(out)}\n`);
      if (rows.some((r) => r.health !== "healthy")) process.exitCode = 1;
    });

  cluster
    .command("node")
    .description("Fail a node on purpose: stop|start its kubelet; in a lab (up --isolated), cut|heal its link (with --ha also an etcd member's: etcd-1…3)")
    .argument("<action>", NODE_ACTIONS.join("|"))
    .argument("<name>", "the node's name (see mkctl get nodes), or in an HA lab etcd-1…3 for cut|heal")
    .addOption(dirOption())
    .action(async (action: string, name: string, opts: { dir?: string }) => {
      if (!isNodeAction(action)) throw new Error(`unknown node action ${JSON.stringify(action)}: want ${NODE_ACTIONS.join(", ")}`);
      const paths = clusterPaths(opts.dir);
      const settings = savedSettings(paths);
      if (!settings) throw new Error("the cluster is not running (start it with: mkctl cluster up)");
      process.stdout.write(`${await nodeAction(paths, settings, action, name)}\n`);
    });

  cluster.addCommand(balanceCommand(), { hidden: true });

  cluster
    .command("supervise", { hidden: true })
    .requiredOption("--root <path>")
    .action(async (opts: { root: string }) => {
      const paths = clusterPaths(opts.root);
      await supervise(paths, loadSettings(paths));
    });

  return cluster;
}

/** Once the local cluster is Ready, mkctl's config points at it (context mk-local). */
export function onReadyWriteContext(server: string, tls?: { ca: string; cert: string; key: string }): void {
  writeContext({ name: "mk-local", server, ...(tls ? { certificateAuthority: tls.ca, clientCertificate: tls.cert, clientKey: tls.key } : {}) });
}
