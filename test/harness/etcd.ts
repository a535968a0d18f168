// A fresh etcd for one test file, and a three-member cluster for HA tests, run through testcontainers
// from mk/etcd:3.4 (built offline by deploy/images/build.sh from Debian's etcd binary).
//
// - Never pulls: the image exists locally or the start fails saying so (a name without a registry
//   host would mean Docker Hub, which this machine must not contact).
// - Client ports are published on 127.0.0.1 only, on a port picked here first, so the advertised
//   client URL is the one tests use.
// - A single member keeps its data in a tmpfs and elects itself at once (short raft timers: with no
//   peers there is nothing to disturb). Start to healthy takes about a second, mostly Docker's own
//   container start on this machine.
// - Stop removes the container by id (SIGKILL first: nothing in a test etcd needs a clean shutdown).
import { RUN_ID, containersByLabel, removeContainers, runLabels } from "./docker.js"; // first: it sets testcontainers' defaults for this machine
import { randomUUID } from "node:crypto";
import { createServer } from "node:net";
import {
  GenericContainer,
  Network,
  PullPolicy,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from "testcontainers";

export const ETCD_IMAGE = "mk/etcd:3.4";

export interface EtcdHandle {
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** The container's id, for tests that want to pause or inspect it. */
  containerId: string;
  stop(): Promise<void>;
}

export interface EtcdMember {
  name: string;
  /** http://127.0.0.1:PORT */
  endpoint: string;
  containerId: string;
}

export interface EtcdClusterHandle {
  /** Every member's client URL, in member order. */
  endpoints: string[];
  members: EtcdMember[];
  /** Removes member i's container (SIGKILL): the member and its data are gone, as with a lost machine. */
  stopMember(i: number): Promise<void>;
  /** Kills member i and starts it again with its data; resolves when it is healthy again. */
  restartMember(i: number): Promise<void>;
  /** Removes every member still running, then the network. Idempotent. */
  stop(): Promise<void>;
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A GenericContainer whose published ports listen on 127.0.0.1 only (testcontainers binds all addresses). */
class LoopbackContainer extends GenericContainer {
  protected override async beforeContainerCreated(): Promise<void> {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
      if (!Array.isArray(bindings)) continue;
      for (const binding of bindings) binding.HostIp = "127.0.0.1";
    }
  }
}

const CLIENT_PORT = 2379;
const PEER_PORT = 2380;

interface MemberSpec {
  name: string;
  hostPort: number;
  /** Raft timers in ms. */
  heartbeat: number;
  election: number;
  initialCluster: string;
  peerUrl: string;
  token: string;
  network?: StartedNetwork;
  /** Data in a tmpfs (lost on restart) or in the container's own filesystem (kept across restarts). */
  tmpfs: boolean;
}

const ATTEMPT_LABEL = "mk.test.etcd.attempt";

function etcdContainer(spec: MemberSpec, attempt: string): GenericContainer {
  const endpoint = `http://127.0.0.1:${spec.hostPort}`;
  let c = new LoopbackContainer(ETCD_IMAGE)
    .withPullPolicy(PullPolicy.neverPull())
    .withLabels(runLabels({ "mk.test.role": "etcd", "mk.test.etcd.member": spec.name, [ATTEMPT_LABEL]: attempt }))
    .withCommand([
      "--name",
      spec.name,
      "--data-dir",
      "/var/lib/etcd",
      "--listen-client-urls",
      `http://0.0.0.0:${CLIENT_PORT}`,
      "--advertise-client-urls",
      endpoint,
      "--listen-peer-urls",
      `http://0.0.0.0:${PEER_PORT}`,
      "--initial-advertise-peer-urls",
      spec.peerUrl,
      "--initial-cluster",
      spec.initialCluster,
      "--initial-cluster-token",
      spec.token,
      "--initial-cluster-state",
      "new",
      "--heartbeat-interval",
      String(spec.heartbeat),
      "--election-timeout",
      String(spec.election),
      "--logger",
      "zap",
    ])
    .withExposedPorts({ container: CLIENT_PORT, host: spec.hostPort })
    // /health is true once the member has a leader and serves a linearizable read: ready for clients.
    // A 250 ms read timeout is also the poll interval; if etcd exits (bad flags), fail at once with
    // its last log lines rather than after the startup timeout.
    .withWaitStrategy(
      Wait.forHttp("/health", CLIENT_PORT, { abortOnContainerExit: true })
        .forResponsePredicate((body) => body.includes('"health":"true"'))
        .withReadTimeout(250),
    )
    .withStartupTimeout(20_000);
  if (spec.tmpfs) c = c.withTmpFs({ "/var/lib/etcd": "rw,mode=0700" });
  if (spec.network) c = c.withNetwork(spec.network).withNetworkAliases(spec.name);
  return c;
}

/**
 * Starts a container for the spec; if the host port picked was taken meanwhile (another test file
 * picked the same free port), picks another and tries again. A failed attempt's container is removed
 * (testcontainers leaves it behind when its wait fails; with Ryuk off nothing else would).
 */
async function startMember(
  spec: MemberSpec,
  respec: (spec: MemberSpec, port: number) => MemberSpec,
): Promise<{ container: StartedTestContainer; spec: MemberSpec }> {
  for (let attempt = 1; ; attempt++) {
    const id = randomUUID();
    try {
      return { container: await etcdContainer(spec, id).start(), spec };
    } catch (err) {
      await removeContainers(await containersByLabel(ATTEMPT_LABEL, id));
      const msg = err instanceof Error ? err.message : String(err);
      if (attempt >= 3 || !/port is already allocated|address already in use/i.test(msg)) throw err;
      spec = respec(spec, await freePort());
    }
  }
}

async function remove(container: StartedTestContainer): Promise<void> {
  await container.stop({ timeout: 0, remove: true, removeVolumes: true });
}

/** A fresh single-member etcd. */
export async function startEtcd(): Promise<EtcdHandle> {
  const name = "etcd";
  const peerUrl = `http://127.0.0.1:${PEER_PORT}`;
  const { container, spec } = await startMember(
    {
      name,
      hostPort: await freePort(),
      heartbeat: 10,
      election: 100,
      initialCluster: `${name}=${peerUrl}`,
      peerUrl,
      token: `mk-${RUN_ID}-${randomUUID().slice(0, 8)}`,
      tmpfs: true,
    },
    (s, port) => ({ ...s, hostPort: port }),
  );
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${spec.hostPort}`,
    containerId: container.getId(),
    stop() {
      stopped ??= remove(container);
      return stopped;
    },
  };
}

/**
 * A fresh etcd cluster of `size` members (3 for HA tests) on a user-defined Docker network: peers
 * reach each other by name, clients reach each member on its own loopback port. Raft timers are
 * 50 ms heartbeat / 500 ms election, half etcd's defaults: a lost leader is replaced in about a
 * second, yet a busy machine running tests in parallel does not make the leader flap.
 */
export async function startEtcdCluster(size = 3): Promise<EtcdClusterHandle> {
  const network = await new Network().start();
  const names = Array.from({ length: size }, (_, i) => `etcd${i}`);
  const initialCluster = names.map((n) => `${n}=http://${n}:${PEER_PORT}`).join(",");
  const token = `mk-${RUN_ID}-${randomUUID().slice(0, 8)}`;
  const ports = await distinctFreePorts(size);
  // Members must start together: none is healthy before a quorum has joined.
  const started = await Promise.allSettled(
    names.map((name, i) =>
      startMember(
        {
          name,
          hostPort: ports[i]!,
          heartbeat: 50,
          election: 500,
          initialCluster,
          peerUrl: `http://${name}:${PEER_PORT}`,
          token,
          network,
          tmpfs: false,
        },
        (s, port) => ({ ...s, hostPort: port }),
      ),
    ),
  );
  const members = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await Promise.allSettled(members.map((m) => remove(m.container)));
    await network.stop();
    throw new Error(`etcd cluster of ${size} did not start`, { cause: failed.reason });
  }

  const containers: (StartedTestContainer | undefined)[] = members.map((m) => m.container);
  const member = (i: number): StartedTestContainer => {
    const c = containers[i];
    if (!c) throw new Error(`etcd member ${i} is not running`);
    return c;
  };
  let stopped: Promise<void> | undefined;
  return {
    endpoints: members.map((m) => `http://127.0.0.1:${m.spec.hostPort}`),
    members: members.map((m) => ({
      name: m.spec.name,
      endpoint: `http://127.0.0.1:${m.spec.hostPort}`,
      containerId: m.container.getId(),
    })),
    async stopMember(i) {
      const c = member(i);
      containers[i] = undefined;
      await remove(c);
    },
    async restartMember(i) {
      await member(i).restart({ timeout: 0 });
    },
    stop() {
      stopped ??= (async () => {
        const running = containers.filter((c): c is StartedTestContainer => c !== undefined);
        containers.fill(undefined);
        await Promise.allSettled(running.map(remove));
        await network.stop();
      })();
      return stopped;
    },
  };
}

async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
