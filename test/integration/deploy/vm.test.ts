// deploy/vm without VMs (none boot here). Static checks: install.sh parses, the units pass
// `systemd-analyze verify`, every flag in them is one the named binary accepts, and install.sh
// refuses an address that is not the host's (VirtualBox's NAT 10.0.2.15 by name) before it changes
// anything. Then the VM path itself, in a network namespace standing for the control-plane VM at
// 192.168.56.10: the units' own ExecStart lines with install.sh's own env files and `mkctl cluster
// init`'s PKI, `mkctl cluster join --no-start --kubelet-env-file` against that API server, and the kubelet
// started the way mk-kubelet.service starts it, until `mkctl get nodes -o wide` shows it Ready.
import assert from "node:assert/strict";
import { podNetworkDown } from "@mk/kubectl/cluster/podnet-cleanup.js";
import { freeClusterCidr } from "../../harness/cluster-cidr.js";
import { eventually } from "../../harness/wait.js";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { REPO } from "../kubectl/mkctl.js";
import { flagsInHelp, flagsOf, readEnvFile, readUnit, resolveCommand, type Unit, unitCommand } from "./units.js";

const VM = join(REPO, "deploy/vm");
const INSTALL = join(VM, "install.sh");
const UNITS = ["mk-etcd", "mk-apiserver", "mk-scheduler", "mk-controller-manager", "mk-registry", "mk-kubelet", "mk-balancer"];
/** mk-balancer.service's address on every machine (what admin.conf and the kubelet name). */
const BALANCER = "127.0.0.1:6440";
const MKCTL = join(REPO, "kubectl/dist/main.js");
const unitPath = (name: string) => join(VM, "systemd", `${name}.service`);
const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;

/** The --help of a unit's command: the binary and its subcommand words (`mkctl cluster balance`). */
function help(path: string, subcommand: string[] = []): string {
  const [cmd, ...args] = resolveCommand(path);
  const r = spawnSync(cmd ?? path, [...args, ...subcommand, "--help"], { encoding: "utf8" });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr}`;
}

describe("deploy/vm, static", () => {
  test("install.sh parses (bash -n)", () => {
    const r = spawnSync("bash", ["-n", INSTALL], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });

  test("install.sh and control-plane-join.sh point admin.conf and the kubelet at mk-balancer, whose unit runs on every machine", () => {
    const install = readFileSync(INSTALL, "utf8");
    assert.match(install, new RegExp(`^BALANCER=${BALANCER.replace(/\./g, "\\.")}$`, "m"));
    assert.match(install, /mkctl" cluster init .*--kubeconfig-server "\$BALANCER"/);
    assert.match(install, /--kubelet-server "\$BALANCER"/);
    assert.match(install, /units=\(mk-etcd mk-apiserver mk-scheduler mk-controller-manager mk-balancer\)/, "a control plane's units");
    assert.match(install, /units=\(mk-kubelet mk-balancer\)/, "a worker's units");
    assert.match(install, /systemctl restart mk-balancer\.service\nwait_http "http:\/\/127\.0\.0\.1:6441\/healthz" mk-balancer\nsystemctl restart mk-kubelet\.service/, "a worker's balancer before its kubelet");
    const cpJoin = readFileSync(join(VM, "control-plane-join.sh"), "utf8");
    assert.match(cpJoin, new RegExp(`cluster init .*--kubeconfig-server ${BALANCER.replace(/\./g, "\\.")}`));
    const balancer = readUnit(unitPath("mk-balancer")).execStart.join(" ");
    assert.match(balancer, new RegExp(`--listen ${BALANCER.replace(/\./g, "\\.")} `));
    assert.match(balancer, /--backends-file \/etc\/mk\/apiservers /);
    assert.match(balancer, /--watch-apiservers/);
  });

  test("init --kubeconfig-server and join --kubelet-server refuse a value that is not HOST:PORT, naming the flag, writing nothing", () => {
    const dir = mkdtempSync(join(tmpdir(), "mk-vm-flags-"));
    try {
      const run = (args: string[]) => spawnSync(process.execPath, [MKCTL, ...args], { encoding: "utf8", env: { ...process.env, MK_CONFIG: join(dir, "config") } });
      const init = run(["cluster", "init", "--dir", join(dir, "etc"), "--kubeconfig-server", "https://127.0.0.1"]);
      assert.notEqual(init.status, 0);
      assert.match(init.stderr, /--kubeconfig-server "https:\/\/127\.0\.0\.1": want HOST:PORT, e\.g\. 127\.0\.0\.1:6440/);
      const hash = `sha256:${"ab".repeat(32)}`;
      const joined = run(["cluster", "join", "192.0.2.1:6443", "--token", "abcdef.0123456789abcdef", "--ca-cert-hash", hash, "--node-ip", "127.0.0.1", "--dir", join(dir, "kubelet"), "--no-start", "--kubelet-env-file", join(dir, "kubelet.env"), "--kubelet-server", "127.0.0.1"]);
      assert.notEqual(joined.status, 0);
      assert.match(joined.stderr, /--kubelet-server "127\.0\.0\.1": want HOST:PORT/);
      assert.deepEqual(readdirSync(dir), [], "nothing written");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every unit reads /etc/mk/<name>.env, restarts always, and the kubelet starts after Docker", () => {
    for (const name of UNITS) {
      const u = readUnit(unitPath(name));
      assert.ok(u.keys.get("EnvironmentFile")?.includes(`/etc/mk/${name}.env`), `${name}: EnvironmentFile=/etc/mk/${name}.env`);
      assert.deepEqual(u.keys.get("Restart"), ["always"], `${name}: Restart=always`);
    }
    const kubelet = readUnit(unitPath("mk-kubelet"));
    assert.match(kubelet.keys.get("After")?.join(" ") ?? "", /\bdocker\.service\b/);
    assert.match(readUnit(unitPath("mk-apiserver")).keys.get("After")?.join(" ") ?? "", /\bmk-etcd\.service\b/);
    // Not Debian's etcd port: its etcd.service listens on 2379.
    assert.doesNotMatch(readUnit(unitPath("mk-etcd")).execStart.join(" "), /:2379\b/);
  });

  test("systemd-analyze verify accepts the units (and does catch a broken one)", { skip: has("systemd-analyze") ? false : "systemd-analyze is not installed here" }, () => {
    const verify = (paths: string[]) => spawnSync("systemd-analyze", ["verify", "--man=no", ...paths], { encoding: "utf8" });
    const r = verify(UNITS.map(unitPath));
    // install.sh creates /usr/local/bin/mk-*; where they are not installed, verify says so and nothing else may be said.
    const complaints = `${r.stdout}${r.stderr}`
      .split("\n")
      .filter((l) => l.trim() !== "")
      .filter((l) => {
        const m = /Command (\S+) is not executable: No such file or directory/.exec(l);
        return !(m?.[1]?.startsWith("/usr/local/bin/mk-") && !existsSync(m[1]));
      });
    assert.deepEqual(complaints, []);

    const dir = mkdtempSync(join(tmpdir(), "mk-vm-verify-"));
    try {
      const broken = join(dir, "mk-scheduler.service");
      writeFileSync(broken, readFileSync(unitPath("mk-scheduler"), "utf8").replace("Restart=always", "Restart=alwayz"));
      assert.match(`${verify([broken]).stderr}`, /restart specifier.*alwayz/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every flag in the units' ExecStart is one the named binary accepts (its --help)", () => {
    let checked = 0;
    for (const name of UNITS) {
      const u: Unit = readUnit(unitPath(name));
      const bin = u.execStart[0] ?? "";
      const flags = flagsOf(u.execStart.slice(1));
      if (flags.length === 0) continue;
      const firstFlag = u.execStart.findIndex((w, i) => i > 0 && (w.startsWith("-") || w.startsWith("$")));
      const known = flagsInHelp(help(bin, u.execStart.slice(1, firstFlag < 0 ? undefined : firstFlag)));
      assert.ok(known.size > 3, `${bin} --help lists its flags`);
      for (const f of flags) {
        assert.ok(known.has(f), `${name}: ${bin} does not accept ${f}`);
        checked++;
      }
    }
    assert.ok(checked > 30, `checked ${checked} flags`);
    // The kubelet's flags come from `mkctl cluster join --kubelet-env-file` (the live test below runs them).
    assert.deepEqual(readUnit(unitPath("mk-kubelet")).execStart.slice(1), ["$MK_KUBELET_ARGS", "$MK_NETWORK_ARGS", "$MK_KUBELET_EXTRA_ARGS"]);
  });
});

describe("install.sh refuses bad input before changing anything", () => {
  let dir = "";
  let spies = "";
  let calls = "";
  let root = "";
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-vm-install-"));
    // Every command that changes the machine, replaced by one that records that it was called.
    spies = join(dir, "spies");
    calls = join(dir, "calls.log");
    mkdirSync(spies);
    for (const cmd of ["apt-get", "dpkg", "systemctl", "tar", "install", "npm", "docker"]) {
      writeFileSync(join(spies, cmd), `#!/bin/sh\necho "${cmd} $*" >>"${calls}"\nexit 0\n`);
      chmodSync(join(spies, cmd), 0o755);
    }
    root = join(dir, "root");
    mkdirSync(root);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[], extraPath = "") =>
    spawnSync("bash", [INSTALL, ...args], {
      encoding: "utf8",
      env: {
        ...process.env,
        PATH: `${extraPath}${spies}:${process.env.PATH ?? ""}`,
        MK_PREFIX: join(root, "opt/mk"),
        MK_ETC: join(root, "etc/mk"),
        MK_BIN: join(root, "bin"),
        MK_UNIT_DIR: join(root, "units"),
      },
    });
  const nothingChanged = () => {
    assert.deepEqual(readdirSync(root), [], "nothing written under the install roots");
    assert.equal(existsSync(calls) ? readFileSync(calls, "utf8") : "", "", "no package, service or copy command run");
  };
  const hash = `sha256:${"ab".repeat(32)}`;
  const token = "abcdef.0123456789abcdef";
  const nat = "10.0.2.15";
  const natIsOurs = spawnSync("ip", ["-o", "addr", "show"], { encoding: "utf8" }).stdout.includes(` ${nat}/`);

  test("an --advertise-address of VirtualBox's NAT (10.0.2.15) is refused by name", () => {
    const r = run(["control-plane", "--advertise-address", nat]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /--advertise-address 10\.0\.2\.15 is VirtualBox's NAT address: every VM has it/);
    nothingChanged();
  });

  test("a worker's --node-ip that is not this host's is refused, listing the host's addresses", { skip: natIsOurs ? "this host has 10.0.2.15" : false }, () => {
    for (const ip of ["198.51.100.77", nat]) {
      const r = run(["worker", "--server", "192.168.56.10:6443", "--token", token, "--ca-cert-hash", hash, "--node-ip", ip]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, ip === nat ? /--node-ip 10\.0\.2\.15 is VirtualBox's NAT address/ : /--node-ip 198\.51\.100\.77 is not an address of this host \(it has .*127\.0\.0\.1/);
    }
    nothingChanged();
  });

  test("usage errors exit 2 and name the argument", () => {
    const cases: [string[], RegExp][] = [
      [[], /usage: install\.sh control-plane/],
      [["master"], /unknown role "master": want control-plane or worker/],
      [["control-plane"], /--advertise-address is required/],
      [["control-plane", "--advertise-address"], /--advertise-address needs a value/],
      [["control-plane", "--advertise-address", "cp.local"], /--advertise-address "cp\.local" is not an IP address/],
      [["control-plane", "--advertise-address", "127.0.0.1", "--node-ip", "127.0.0.1"], /--node-ip is not an option of control-plane/],
      [["worker", "--server", "192.168.56.10:6443", "--token", token, "--ca-cert-hash", hash], /--node-ip is required/],
      [["worker", "--server", "192.168.56.10", "--token", token, "--ca-cert-hash", hash, "--node-ip", "127.0.0.1"], /--server "192\.168\.56\.10": want HOST:PORT/],
      [["worker", "--server", "192.168.56.10:6443", "--token", "secret", "--ca-cert-hash", hash, "--node-ip", "127.0.0.1"], /--token: want/],
      [["worker", "--server", "192.168.56.10:6443", "--token", token, "--ca-cert-hash", "abc", "--node-ip", "127.0.0.1"], /--ca-cert-hash "abc": want sha256:<64 hex digits>/],
      [["worker", "--bogus"], /unknown argument "--bogus"/],
      [["worker", "--join"], /--join is not an option of worker/],
      [["worker", "--dns-upstream", "192.0.2.53"], /--dns-upstream is not an option of worker/],
      [["control-plane", "--advertise-address", "127.0.0.1", "--server", "192.168.56.10:6443"], /--server is an option of control-plane --join only/],
      [["control-plane", "--join", "--advertise-address", "127.0.0.1"], /--join needs --server/],
      [["control-plane", "--join", "--advertise-address", "127.0.0.1", "--server", "192.168.56.10"], /--server "192\.168\.56\.10": want HOST:PORT/],
      [["control-plane", "--join", "--advertise-address", "127.0.0.1", "--server", "192.168.56.10:6443"], /--join needs --certificate-dir/],
      [["control-plane", "--join", "--advertise-address", "127.0.0.1", "--server", "192.168.56.10:6443", "--certificate-dir", "/nonexistent"], /--certificate-dir "\/nonexistent" has no ca\.crt: copy it from the first control plane's \/etc\/mk\/pki/],
    ];
    for (const [args, want] of cases) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, want, args.join(" "));
    }
    nothingChanged();
  });

  test("a host address passes the check (shown by the next one, root, failing as a non-root user)", () => {
    const fakeUser = join(dir, "user");
    mkdirSync(fakeUser, { recursive: true });
    writeFileSync(join(fakeUser, "id"), '#!/bin/sh\n[ "$1" = -u ] && echo 1000 || exec /usr/bin/id "$@"\n');
    chmodSync(join(fakeUser, "id"), 0o755);
    const r = run(["control-plane", "--advertise-address=127.0.0.1"], `${fakeUser}:`);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /run as root/);
    nothingChanged();
  });
});

// ---------------------------------------------------------------------------------------------------
// The VM path in network namespaces: root, iproute2, nsenter, etcd, docker-registry and Docker.
const CP_IP = "192.168.56.10";
/** The second control-plane machine (install.sh control-plane --join). */
const CP2_IP = "192.168.56.11";
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const signal = (pid: number, sig: NodeJS.Signals) => {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
};
const liveSkip = (() => {
  if (process.getuid?.() !== 0) return "needs root (a network namespace stands for the VM)";
  for (const c of ["ip", "nsenter", "etcd", "docker-registry", "docker"]) if (!has(c)) return `${c} is not installed`;
  if (spawnSync("docker", ["info"]).status !== 0) return "Docker is not running";
  return false;
})();

describe("the VM path: units, env files, init and join, in a namespace at 192.168.56.10", { skip: liveSkip }, () => {
  const ns = `mkvm${process.pid}`;
  const nsPath = `/var/run/netns/${ns}`;
  const ns2 = `mkvm${process.pid}b`;
  const ns2Path = `/var/run/netns/${ns2}`;
  /** Why the second machine cannot be tried (no veth link between the namespaces), or "" once it can. */
  let joinSkip = "the first test did not run";
  let dir = "";
  let etc = "";
  const nodeName = `vmtest-${process.pid}`;
  const CP1_NAME = "vmtest-cp1";
  const CP2_NAME = "vmtest-cp2";
  const children: ChildProcess[] = [];
  /** The first machine's units by name (the test stops its API server). */
  const units = new Map<string, ChildProcess>();
  // install.sh --cluster-cidr: a range of this run's own (the kubelet's pod network is on the host's engine).
  const clusterCidr = freeClusterCidr();

  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mk-vm-live-"));
    etc = join(dir, "etc/mk");
  });
  after(async () => {
    for (const c of children.reverse()) {
      if (c.exitCode !== null || c.signalCode !== null) continue;
      const exited = new Promise((r) => c.once("exit", r));
      c.kill("SIGTERM");
      const timer = setTimeout(() => c.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    // The second machine's units, started by run-unit.js for the fake systemctl: by their pids.
    const runDir = join(dir, "cp2-run");
    const pids = existsSync(runDir) ? readdirSync(runDir).filter((f) => f.endsWith(".pid")).map((f) => Number(readFileSync(join(runDir, f), "utf8"))) : [];
    for (const pid of pids) signal(pid, "SIGTERM");
    for (const deadline = Date.now() + 10_000; pids.some(alive) && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) signal(pid, "SIGKILL");
    // The kubelet's pod network (its rules went with the namespace; the Docker network is the engine's).
    await podNetworkDown(`${CP_IP}:6443`);
    spawnSync("ip", ["netns", "del", ns]);
    spawnSync("ip", ["netns", "del", ns2]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const inNs = (cmd: string[], env: NodeJS.ProcessEnv = process.env, path = nsPath) =>
    spawnSync("nsenter", [`--net=${path}`, ...cmd], { encoding: "utf8", env, timeout: 60_000 });
  // No config file of its own (never ~/.mk): `get nodes` names init's admin.conf, as the README does.
  const mkctl = (args: string[], path = nsPath) => inNs([process.execPath, MKCTL, ...args], { ...process.env, MK_CONFIG: join(dir, "no-config") }, path);
  /**
   * install.sh's step 6 for a control plane: its own write_env and seed_apiservers lines (lib.sh's),
   * with this machine's values; with `kubelet`, also a worker's mk-network.env (the first machine
   * runs a kubelet too, talking through its control plane's balancer).
   */
  /** install.sh's step 6: the env-writing lines of its control-plane branch and of its worker branch. */
  const step6 = (() => {
    const lines = readFileSync(INSTALL, "utf8").split("\n");
    const start = lines.findIndex((l) => l.startsWith("# 6. Configuration"));
    const cpAt = lines.findIndex((l, i) => i > start && l === 'if [ "$ROLE" = control-plane ]; then');
    const workerAt = lines.findIndex((l, i) => i > cpAt && l === "else");
    const endAt = lines.findIndex((l, i) => i > workerAt && l === "fi");
    assert.ok(start > 0 && cpAt > start && workerAt > cpAt && endAt > workerAt, "install.sh's step 6: the control-plane branch, then the worker's");
    const envLine = (l: string) => /^\s*(write_env mk-|seed_apiservers )/.test(l) || /^\s*"MK_ETCD_/.test(l) || /^\s*\[\[ "\$ETCD_HOST"/.test(l) || /^\s*ETCD_HOST=/.test(l);
    // The script's constants the env lines use (the cluster DNS port, address and domain; the API port).
    const constants = lines.filter((l) => /^(DNS_PORT|CLUSTER_DNS|CLUSTER_DOMAIN|API_PORT|BALANCER)=/.test(l)).join("\n");
    return { controlPlane: lines.slice(cpAt + 1, workerAt).filter(envLine), worker: lines.slice(workerAt + 1, endAt).filter(envLine), constants };
  })();
  /** Runs env-writing lines of install.sh with lib.sh's helpers and these variables. */
  const runEnvLines = (etcDir: string, vars: Record<string, string>, envLines: string[]) => {
    mkdirSync(etcDir, { recursive: true });
    const assign = Object.entries({ MK_ETC: etcDir, ...vars }).map(([k, v]) => `${k}='${v}'`).join("; ");
    const script = `. '${join(VM, "lib.sh")}'\n${assign}; PKI="$MK_ETC/pki"\n${step6.constants}\nwrite_env() { f="$MK_ETC/$1.env"; shift; printf '%s\\n' "$@" >"$f"; }\n${envLines.join("\n")}`;
    execFileSync("bash", ["-euc", script]);
  };
  const writeEnvFiles = (etcDir: string, address: string, name: string, kubelet = false) => {
    const worker = kubelet ? step6.worker.filter((l) => /^\s*write_env mk-network /.test(l)) : [];
    runEnvLines(etcDir, { ADVERTISE_ADDRESS: address, NODE_NAME: name, CLUSTER_CIDR: clusterCidr, DNS_UPSTREAM: "" }, [...step6.controlPlane, ...worker]);
    copyFileSync(join(VM, "registry.yml"), join(etcDir, "registry.yml"));
  };
  /** `ADDRESS HEALTHY` of each backend of the balancer in a namespace (its /backends on 127.0.0.1:6441), sorted. */
  const backends = (path: string, healthPort = 6441): string => {
    const script = `fetch(process.argv[1]).then(async (r) => process.stdout.write(await r.text()), () => process.exit(1))`;
    const r = inNs([process.execPath, "-e", script, `http://127.0.0.1:${healthPort}/backends`], process.env, path);
    if (r.status !== 0) return "";
    return (JSON.parse(r.stdout) as { address: string; healthy: boolean }[]).map((b) => `${b.address} ${b.healthy}`).sort().join();
  };
  /** A copy of a kubeconfig naming one API server itself (not the balancer). */
  const direct = (conf: string, ip: string): string => {
    const copy = `${conf}.${ip}`;
    writeFileSync(copy, readFileSync(conf, "utf8").replace(`https://${BALANCER}`, `https://${ip}:6443`));
    return copy;
  };
  /** Polls url from inside the namespace until it answers 2xx. */
  const waitHttp = (url: string, what: string) => {
    const script = `const t=Date.now()+60000;(async()=>{while(Date.now()<t){try{if((await fetch(process.argv[1])).ok)process.exit(0)}catch{}await new Promise(r=>setTimeout(r,200))}process.exit(1)})()`;
    const r = inNs([process.execPath, "-e", script, url]);
    assert.equal(r.status, 0, `${what} did not answer at ${url}; log: ${readFileSync(join(dir, `${what}.log`), "utf8").slice(-2000)}`);
  };
  /** Starts a unit as systemd would: its ExecStart, variables from its env file(s), in the namespace. */
  const startUnit = (name: string, extraEnv: Record<string, string> = {}) => {
    // MK_ETC is the test's directory: /etc/mk/registry.yml is <etc>/registry.yml.
    const { argv, env } = unitCommand(unitPath(name), etc, extraEnv);
    const args = argv.slice(argv[0] === process.execPath ? 2 : 1);
    // Every certificate and key a unit names is one `mkctl cluster init` made.
    for (const a of args) if (a.startsWith(join(etc, "pki"))) assert.ok(existsSync(a), `${name}: ${a} exists`);
    const log = openSync(join(dir, `${name}.log`), "a");
    const child = spawn("nsenter", [`--net=${nsPath}`, ...argv], { env: { ...process.env, ...env }, stdio: ["ignore", log, log] });
    children.push(child);
    units.set(name, child);
    return args;
  };

  test("init, the control-plane units, join --no-start --kubelet-env-file, and the kubelet unit make a Ready node", async () => {
    // The "VMs": namespaces with their own private-network addresses, like Vagrant's second NIC,
    // linked by a veth pair (the second one joins as a control plane in the next test). Where the
    // kernel has no veth, the first one's address goes on its lo and the next test is skipped.
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    execFileSync("ip", ["netns", "add", ns2]);
    execFileSync("ip", ["-n", ns2, "link", "set", "lo", "up"]);
    const [a, b] = [`mkv${process.pid}a`, `mkv${process.pid}b`];
    const veth = spawnSync("ip", ["link", "add", a, "netns", ns, "type", "veth", "peer", "name", b, "netns", ns2], { encoding: "utf8" });
    if (veth.status === 0) {
      execFileSync("ip", ["-n", ns, "addr", "add", `${CP_IP}/24`, "dev", a]);
      execFileSync("ip", ["-n", ns2, "addr", "add", `${CP2_IP}/24`, "dev", b]);
      execFileSync("ip", ["-n", ns, "link", "set", a, "up"]);
      execFileSync("ip", ["-n", ns2, "link", "set", b, "up"]);
      joinSkip = "";
    } else {
      execFileSync("ip", ["-n", ns, "addr", "add", `${CP_IP}/32`, "dev", "lo"]);
      joinSkip = `no veth link between namespaces here: ${veth.stderr.trim()}`;
    }

    // install.sh's step 7: init with the PKI in MK_ETC/pki; then its env files, from its own lines.
    const init = mkctl(["cluster", "init", "--dir", etc, "--advertise-address", CP_IP, "--kubeconfig-server", BALANCER]);
    assert.equal(init.status, 0, init.stderr);
    const m = /^mkctl cluster join (\S+) --token (\S+) --ca-cert-hash (\S+) --node-ip NODE_IP$/m.exec(init.stdout);
    assert.ok(m, init.stdout);
    const [, server, token, hash] = m;
    assert.equal(server, `${CP_IP}:6443`);
    writeEnvFiles(etc, CP_IP, CP1_NAME, true);
    assert.equal(readEnvFile(join(etc, "mk-apiserver.env")).MK_ADVERTISE_ADDRESS, CP_IP);
    // etcd at the advertise address with TLS peers, so that another machine can join it.
    assert.equal(readEnvFile(join(etc, "mk-etcd.env")).MK_ETCD_INITIAL_CLUSTER, `${CP1_NAME}=https://${CP_IP}:12380`);

    startUnit("mk-etcd", { STATE_DIRECTORY: join(dir, "etcd") });
    waitHttp("http://127.0.0.1:12381/health", "mk-etcd");
    const apiArgs = startUnit("mk-apiserver");
    // The cluster DNS on the advertise address, at the port the kube-dns Service sends pods to.
    assert.equal(apiArgs[apiArgs.indexOf("--dns-port") + 1], "10053");
    waitHttp("http://127.0.0.1:6444/readyz", "mk-apiserver");
    startUnit("mk-scheduler");
    startUnit("mk-controller-manager");
    startUnit("mk-registry", { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: join(dir, "registry") });
    waitHttp("http://127.0.0.1:10251/healthz", "mk-scheduler");
    waitHttp("http://127.0.0.1:10252/healthz", "mk-controller-manager");
    waitHttp(`http://${CP_IP}:5000/v2/`, "mk-registry");
    // The machine's balancer, from the list install.sh seeded: this machine's API server.
    assert.deepEqual(readFileSync(join(etc, "apiservers"), "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")), [`${CP_IP}:6443`]);
    startUnit("mk-balancer");
    waitHttp("http://127.0.0.1:6441/healthz", "mk-balancer");
    // admin.conf names it (through it, TLS verifies: the API server's certificate names 127.0.0.1).
    assert.match(readFileSync(join(etc, "admin.conf"), "utf8"), /server: https:\/\/127\.0\.0\.1:6440\n/);

    // install.sh's step 8 on a worker. The NAT address is refused first, and nothing is written.
    const envFile = join(etc, "mk-kubelet.env");
    const joinArgs = (ip: string) => ["cluster", "join", server ?? "", "--token", token ?? "", "--ca-cert-hash", hash ?? "", "--node-ip", ip, "--node-name", nodeName, "--dir", join(etc, "pki/kubelet"), "--no-start", "--kubelet-env-file", envFile, "--kubelet-server", BALANCER];
    const nat = mkctl(joinArgs("10.0.2.15"));
    assert.notEqual(nat.status, 0);
    assert.match(nat.stderr, /--node-ip 10\.0\.2\.15 is not an address of this host/);
    assert.equal(existsSync(envFile), false);

    const joined = mkctl(joinArgs(CP_IP));
    assert.equal(joined.status, 0, joined.stderr);
    // The flags join prints are the flags the unit gets: the lab's kubelets and the VMs' share this path.
    const printed = /^mk-kubelet (.*)$/m.exec(joined.stdout)?.[1];
    assert.ok(printed, joined.stdout);
    assert.equal(readEnvFile(envFile).MK_KUBELET_ARGS, printed);
    // The kubelet talks to the API through the balancer, under the cluster id of the server it joined.
    assert.match(printed, new RegExp(`^--server ${BALANCER.replace(/\./g, "\\.")} --cluster-id ${CP_IP.replace(/\./g, "\\.")}:6443 `));
    const kubeletArgs = startUnit("mk-kubelet");
    assert.deepEqual(kubeletArgs, [...printed.split(" "), "--cluster-cidr", clusterCidr, "--cluster-dns", "10.96.0.10", "--cluster-domain", "cluster.local"]);
    assert.deepEqual(flagsOf(kubeletArgs), ["--server", "--cluster-id", "--node-name", "--node-ip", "--tls-ca", "--tls-cert", "--tls-key", "--cluster-cidr", "--cluster-dns", "--cluster-domain"]);
    waitHttp(`http://${CP_IP}:10248/healthz`, "mk-kubelet");

    // What the README tells you to run on the control plane.
    let last = "";
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const r = mkctl(["--kubeconfig", join(etc, "admin.conf"), "get", "nodes", "-o", "wide"]);
      last = `${r.stdout}${r.stderr}`;
      const row = r.stdout.split("\n").find((l) => l.startsWith(`${nodeName} `));
      if (r.status === 0 && row && /\sReady\s/.test(row) && row.includes(` ${CP_IP} `)) return;
    }
    assert.fail(`node ${nodeName} did not become Ready with INTERNAL-IP ${CP_IP}:\n${last}\nkubelet log: ${readFileSync(join(dir, "mk-kubelet.log"), "utf8").slice(-2000)}`);
  });
  test("a second machine joins as a control plane (control-plane-join.sh, as install.sh control-plane --join runs it): etcd has two voters, both API servers serve the same data", async (t) => {
    if (joinSkip) return t.skip(joinSkip);
    const admin1 = join(etc, "admin.conf");
    const etc2 = join(dir, "cp2/etc/mk");
    const admin2 = join(etc2, "admin.conf");
    // Made before the join: the new API server must read it from the etcd member that joined.
    const before = mkctl(["--kubeconfig", admin1, "create", "configmap", "before-join", "--from-literal", "made=before"]);
    assert.equal(before.status, 0, before.stderr);

    // What the operator copies from the first machine's /etc/mk/pki (kubeadm's manual certificate distribution).
    const copied = join(dir, "copied-pki");
    mkdirSync(copied);
    for (const f of ["ca.crt", "ca.key", "bootstrap-tokens"]) copyFileSync(join(etc, "pki", f), join(copied, f));
    // install.sh's step 6 on the second machine; then its step 7, the join script itself.
    writeEnvFiles(etc2, CP2_IP, CP2_NAME);
    // systemd, for the script: `restart` runs each unit's ExecStart with its env files (run-unit.js)
    // in the second machine's namespace; `enable` is recorded only. mkctl is this checkout's build.
    const fakes = join(dir, "cp2-bin");
    const runDir = join(dir, "cp2-run");
    mkdirSync(fakes);
    mkdirSync(runDir);
    const runUnit = join(REPO, "test/dist/integration/deploy/run-unit.js");
    writeFileSync(join(fakes, "systemctl"), `#!/bin/sh\necho "systemctl $*" >>"${runDir}/systemctl.log"\n[ "$1" = restart ] || exit 0\nshift\nfor u in "$@"; do "${process.execPath}" "${runUnit}" "\${u%.service}" || exit 1; done\n`);
    writeFileSync(join(fakes, "mkctl"), `#!/bin/sh\nexec "${process.execPath}" "${MKCTL}" "$@"\n`);
    for (const f of ["systemctl", "mkctl"]) chmodSync(join(fakes, f), 0o755);
    const env = {
      ...process.env,
      PATH: `${fakes}:${process.env.PATH ?? ""}`,
      MK_CONFIG: join(dir, "no-config"),
      MK_ETC: etc2,
      MK_BIN: fakes,
      MK_TEST_RUN_DIR: runDir,
      NODE: process.execPath,
      ADVERTISE_ADDRESS: CP2_IP,
      SERVER: `${CP_IP}:6443`,
      CERTIFICATE_DIR: copied,
      NODE_NAME: CP2_NAME,
    };
    const logs = () => ["mk-etcd", "mk-apiserver"].map((u) => `${u}: ${existsSync(join(runDir, `${u}.log`)) ? readFileSync(join(runDir, `${u}.log`), "utf8").slice(-1500) : "(none)"}`).join("\n");
    const joined = spawnSync("nsenter", [`--net=${ns2Path}`, "bash", join(VM, "control-plane-join.sh")], { encoding: "utf8", env, timeout: 240_000 });
    assert.equal(joined.status, 0, `${joined.stderr}\n${logs()}`);
    // etcd was started before it was promoted, the API server after, and this machine's balancer.
    assert.match(readFileSync(join(runDir, "systemctl.log"), "utf8"), /restart mk-etcd\.service\n[\s\S]*restart mk-apiserver\.service mk-scheduler\.service mk-controller-manager\.service mk-balancer\.service/);

    // etcd's member list, through the second machine's etcd client certificate: two started voters.
    const list = mkctl(["cluster", "etcd-member", "list", "--endpoint", `${CP2_IP}:12379`, "--pki-dir", join(etc2, "pki")], ns2Path);
    assert.equal(list.status, 0, list.stderr);
    const members = list.stdout.trim().split("\n").map((l) => l.split(", "));
    assert.deepEqual(members.map((m) => m[2]).sort(), [CP1_NAME, CP2_NAME], list.stdout);
    for (const m of members) {
      assert.equal(m[1], "started", list.stdout);
      assert.equal(m[5], "false", `${m[2]} is a voter, not a learner:\n${list.stdout}`);
    }
    assert.ok(members.some((m) => m[3] === `https://${CP2_IP}:12380`), `the new member's peer URL is TLS on its address:\n${list.stdout}`);

    // Both API servers answer, each with what the other wrote (asked directly, not through a balancer).
    const after2 = mkctl(["--kubeconfig", admin2, "create", "configmap", "after-join", "--from-literal", "made=after"], ns2Path);
    assert.equal(after2.status, 0, after2.stderr);
    for (const [conf, path, server] of [[admin1, nsPath, CP_IP], [admin2, ns2Path, CP2_IP]] as const) {
      const got = mkctl(["--kubeconfig", direct(conf, server), "get", "configmaps", "before-join", "after-join", "-o", "jsonpath={.items[*].data.made}"], path);
      assert.equal(got.status, 0, `${server}: ${got.stderr}`);
      assert.equal(got.stdout.trim(), "before after", `the API server at ${server}`);
    }
    // The new machine's admin.conf names its own balancer, which starts from the server joined and itself.
    assert.match(readFileSync(admin2, "utf8"), /server: https:\/\/127\.0\.0\.1:6440\n/);
    // The first machine's balancer learns of the second API server by itself: the kubernetes
    // Service's endpoints, which every API server publishes, kept in its file.
    const listed = (file: string) => readFileSync(file, "utf8").split("\n").filter((l) => l !== "" && !l.startsWith("#")).sort();
    await eventually("the first machine's balancer lists both API servers", () => listed(join(etc, "apiservers")).join() === `${CP_IP}:6443,${CP2_IP}:6443`, 30_000);
    await eventually("the second machine's too", () => listed(join(etc2, "apiservers")).join() === `${CP_IP}:6443,${CP2_IP}:6443`, 30_000);
    await eventually("both healthy in the first machine's balancer (its check through each TLS port)", () => backends(nsPath) === `${CP_IP}:6443 true,${CP2_IP}:6443 true`, 30_000);
    // A worker's balancer: install.sh's worker lines (seeded with --server; the kubelet's certificate
    // for the watch, which the node authorizer lets read EndpointSlices), beside the first machine's
    // on ports of its own (6450, 6451), with the kubelet certificate join made above.
    const etcW = join(dir, "worker/etc/mk");
    mkdirSync(join(etcW, "pki"), { recursive: true });
    symlinkSync(join(etc, "pki/kubelet"), join(etcW, "pki/kubelet"));
    runEnvLines(etcW, { SERVER: `${CP_IP}:6443`, CLUSTER_CIDR: clusterCidr }, step6.worker);
    assert.equal(readEnvFile(join(etcW, "mk-balancer.env")).MK_BALANCER_CERT, join(etcW, "pki/kubelet/kubelet.crt"));
    assert.deepEqual(listed(join(etcW, "apiservers")), [`${CP_IP}:6443`], "seeded with --server");
    const worker = unitCommand(unitPath("mk-balancer"), etcW);
    const workerArgv = worker.argv.map((a) => a.replace(BALANCER, "127.0.0.1:6450").replace("127.0.0.1:6441", "127.0.0.1:6451"));
    children.push(spawn("nsenter", [`--net=${nsPath}`, ...workerArgv], { env: { ...process.env, ...worker.env }, stdio: ["ignore", openSync(join(dir, "worker-balancer.log"), "a"), openSync(join(dir, "worker-balancer.log"), "a")] }));
    await eventually(
      "a worker's balancer lists both API servers (watched with the kubelet's certificate)",
      (why) => listed(join(etcW, "apiservers")).join() === `${CP_IP}:6443,${CP2_IP}:6443` || why(readFileSync(join(dir, "worker-balancer.log"), "utf8").slice(-1500)),
      30_000,
    );

    // install.sh is safe to run again: the member is kept, not added twice, and everything comes back.
    const again = spawnSync("nsenter", [`--net=${ns2Path}`, "bash", join(VM, "control-plane-join.sh")], { encoding: "utf8", env, timeout: 240_000 });
    assert.equal(again.status, 0, `${again.stderr}\n${logs()}`);
    assert.match(again.stderr, new RegExp(`etcd member at https://${CP2_IP.replace(/\./g, "\\.")}:12380 is listed already; kept`));
    const relisted = mkctl(["cluster", "etcd-member", "list", "--endpoint", `${CP_IP}:12379`, "--pki-dir", join(etc2, "pki")], ns2Path);
    assert.equal(relisted.stdout.trim().split("\n").length, 2, relisted.stdout);
    const reread = mkctl(["--kubeconfig", admin2, "get", "configmap", "before-join", "-o", "jsonpath={.data.made}"], ns2Path);
    assert.equal(reread.stdout.trim(), "before", reread.stderr);

    // The first machine's API server dies: its admin.conf and kubelet, through its balancer, carry on.
    const apiserver = units.get("mk-apiserver");
    assert.ok(apiserver?.pid, "the first machine's API server runs");
    const exited = new Promise((r) => apiserver.once("exit", r));
    apiserver.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();
    const created = mkctl(["--kubeconfig", admin1, "create", "configmap", "after-cp1-died", "--from-literal", "made=later"]);
    assert.equal(created.status, 0, `a create through the balancer after the first API server died: ${created.stderr}`);
    const got = mkctl(["--kubeconfig", admin1, "get", "configmap", "after-cp1-died", "-o", "jsonpath={.data.made}"]);
    assert.equal(got.status, 0, got.stderr);
    assert.equal(got.stdout.trim(), "later");
    // Marked unhealthy by the checks, or already gone from the list (its lease expired, below).
    const unused = [`${CP_IP}:6443 false,${CP2_IP}:6443 true`, `${CP2_IP}:6443 true`];
    await eventually("the balancer marks the dead API server unhealthy", () => unused.includes(backends(nsPath)), 30_000);
    await eventually("the worker's balancer too", () => unused.includes(backends(nsPath, 6451)), 30_000);
    // Its endpoint lease (15 s) expires, the second API server takes it out of the kubernetes
    // Service's endpoints, and every machine's balancer drops it from its file and its checks.
    for (const [what, file] of [["first machine", etc], ["second machine", etc2], ["worker", etcW]] as const) {
      await eventually(`the ${what}'s file drops the dead API server`, () => listed(join(file, "apiservers")).join() === `${CP2_IP}:6443`, 90_000);
    }
    await eventually("the first machine's balancer checks the second API server only", () => backends(nsPath) === `${CP2_IP}:6443 true`, 30_000);
    // The kubelet's heartbeat (its Lease) resumes through the balancer, on the second API server.
    await eventually(
      "the kubelet renews its Lease after the first API server died",
      () => {
        const r = mkctl(["--kubeconfig", admin1, "get", "lease", nodeName, "-n", "mk-node-lease", "-o", "jsonpath={.spec.renewTime}"]);
        return r.status === 0 && Date.parse(r.stdout.trim()) > killedAt;
      },
      60_000,
    );
  });
});
