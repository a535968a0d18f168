// kubectl's flag syntax, mkctl beside kubectl on the same argv. Where kubectl answers without a
// server (usage errors, --help, version --client), both outputs are compared directly. Where a
// server is needed, kubectl talks to a fake loopback HTTP server this test starts, which records
// the request kubectl's parse produced (namespace, selector, all namespaces, timeout), and mkctl
// talks to a real API server holding pods that tell the same choices apart.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { Namespace, Pod } from "@mk/proto";
import { emptyMeta } from "@mk/proto/api";
import { connect } from "@mk/proto/client";
import { startTestApiServer, type TestApiServer } from "../../harness/apiserver.js";
import { mkctlFor, type Run, tempDir } from "./mkctl.js";

const KUBECTL = spawnSync("kubectl", ["version", "--client"], { stdio: "ignore" }).status === 0;
const noKubectl = KUBECTL ? false : "kubectl is not on the PATH";

let api: TestApiServer;
let mkctl: (args: string[]) => Promise<Run>;
let fake: Server;
let fakeAddress: string;
/** The pod list requests kubectl made of the fake server (path and query). */
const podRequests: string[] = [];
const home = tempDir("kubectl-home-");

/** Enough of Kubernetes' discovery for `kubectl get pods`, and always an empty pod list. */
function startFakeKubernetes(): Promise<Server> {
  const json = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });
  const answer = (path: string) => {
    if (path === "/api") return json({ kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
    if (path === "/apis") return json({ kind: "APIGroupList", apiVersion: "v1", groups: [] });
    if (path === "/api/v1") {
      return json({ kind: "APIResourceList", groupVersion: "v1", resources: [{ name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["get", "list"], shortNames: ["po"] }] });
    }
    if (/^\/api\/v1\/(namespaces\/[^/]+\/)?pods$/.test(path)) return json({ kind: "PodList", apiVersion: "v1", metadata: { resourceVersion: "1" }, items: [] });
    return { status: 404, body: "{}" };
  };
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    if (url.pathname.endsWith("/pods")) podRequests.push(`${url.pathname}?${url.searchParams.toString()}`);
    const a = answer(url.pathname);
    res.writeHead(a.status, { "content-type": "application/json" });
    res.end(a.body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function kubectl(args: string[]): Promise<Run> {
  // No kubeconfig and a home of its own: kubectl reads nothing of this machine's and caches nothing.
  const env = { ...process.env, HOME: home, KUBECONFIG: join(home, "none") };
  return new Promise((resolve) => {
    execFile("kubectl", args, { env }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? -1) : 0, stdout, stderr }));
  });
}

/** kubectl's pod list request for argv, against the fake server. */
async function kubectlRequest(args: string[]): Promise<string> {
  podRequests.length = 0;
  const res = await kubectl([`--server=http://${fakeAddress}`, ...args]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(podRequests.length, 1, `one pod list request, got ${JSON.stringify(podRequests)}`);
  return podRequests[0] ?? "";
}

before(async () => {
  api = await startTestApiServer();
  mkctl = mkctlFor(api.address);
  fake = await startFakeKubernetes();
  fakeAddress = `127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const cs = connect({ server: api.address });
  await cs.namespaces.create(Namespace.fromPartial({ metadata: emptyMeta({ name: "team" }) }));
  for (const [ns, name, app] of [["default", "web-0", "web"], ["team", "web-1", "web"], ["team", "db-1", "db"]] as const) {
    await cs.pods.create(Pod.fromPartial({ metadata: emptyMeta({ name, namespace: ns, labels: { app } }), spec: { containers: [{ name: "c", image: "mk/web:v1" }] } }));
  }
  cs.close();
});

after(async () => {
  await api.stop();
  await new Promise((resolve) => fake.close(resolve));
});

/** Usage errors kubectl answers before any server call, as mkctl must print them. */
const USAGE_ERRORS: { args: string[]; stderr: string }[] = [
  { args: ["get", "pods", "--bogus"], stderr: "Error: unknown flag: --bogus\nSee 'mkctl get --help' for usage.\n" },
  { args: ["get", "pods", "-x"], stderr: "Error: unknown shorthand flag: 'x' in -x\nSee 'mkctl get --help' for usage.\n" },
  { args: ["get", "pods", "-o"], stderr: "Error: flag needs an argument: 'o' in -o\nSee 'mkctl get --help' for usage.\n" },
  { args: ["get", "pods", "--output"], stderr: "Error: flag needs an argument: --output\nSee 'mkctl get --help' for usage.\n" },
  {
    args: ["get", "pods", "--all-namespaces=maybe"],
    stderr: `Error: invalid argument "maybe" for "-A, --all-namespaces" flag: strconv.ParseBool: parsing "maybe": invalid syntax\nSee 'mkctl get --help' for usage.\n`,
  },
  {
    args: ["get", "pods", "--no-headers=maybe"],
    stderr: `Error: invalid argument "maybe" for "--no-headers" flag: strconv.ParseBool: parsing "maybe": invalid syntax\nSee 'mkctl get --help' for usage.\n`,
  },
  { args: ["version", "--client", "--bogus"], stderr: "Error: unknown flag: --bogus\nSee 'mkctl version --help' for usage.\n" },
  { args: ["gte", "pods"], stderr: 'Error: unknown command "gte" for "mkctl"\n\nDid you mean this?\n\tget\n\n' },
  { args: ["rollout", "statuss"], stderr: "error: unknown command \"statuss\"\nSee 'mkctl rollout -h' for help and examples\n" },
];

test("usage errors: mkctl prints cobra's lines, exit 1, nothing on stdout", async () => {
  for (const { args, stderr } of USAGE_ERRORS) {
    assert.deepEqual(await mkctl(args), { code: 1, stdout: "", stderr }, args.join(" "));
  }
});

test("usage errors: kubectl prints the same lines for the same argv", { skip: noKubectl }, async () => {
  for (const { args, stderr } of USAGE_ERRORS) {
    const k = await kubectl(args);
    assert.deepEqual({ code: k.code, stderr: k.stderr.replaceAll("kubectl", "mkctl") }, { code: 1, stderr }, args.join(" "));
  }
});

/** Commands both answer without a server, in every spelling of the same flags. */
const CLIENT_ONLY: { args: string[]; format: "yaml" | "json" | "help" }[] = [
  { args: ["version", "--client", "-o=yaml"], format: "yaml" },
  { args: ["version", "--client=true", "-ojson"], format: "json" },
  { args: ["version", "--client=T", "--output=json"], format: "json" },
  { args: ["get", "--help"], format: "help" },
  { args: ["get", "-h"], format: "help" },
  { args: ["get", "pods", "--help=true"], format: "help" },
  { args: ["-n=team"], format: "help" },
];

for (const [name, run] of [
  ["mkctl", (a: string[]) => mkctl(a)],
  ["kubectl", kubectl],
] as const) {
  test(`${name} answers version --client and --help in each spelling without a server`, { skip: name === "kubectl" && noKubectl }, async () => {
    for (const { args, format } of CLIENT_ONLY) {
      const res = await run(args);
      assert.equal(res.code, 0, `${args.join(" ")}: ${res.stderr}`);
      if (format === "help") assert.match(res.stdout, /Usage:/, args.join(" "));
      else assert.ok((format === "yaml" ? parseYaml(res.stdout) : JSON.parse(res.stdout)).clientVersion, args.join(" "));
    }
  });
}

/** One argv, kubectl's request for it, and what mkctl prints for it against the pods above. */
const WITH_SERVER: { args: string[]; request: RegExp; mkctl: string }[] = [
  { args: ["get", "pods", "-n=team", "-l=app=web", "-o=name"], request: /^\/api\/v1\/namespaces\/team\/pods\?labelSelector=app%3Dweb&/, mkctl: "pod/web-1\n" },
  { args: ["get", "pods", "-nteam", "-lapp=web", "-oname"], request: /^\/api\/v1\/namespaces\/team\/pods\?labelSelector=app%3Dweb&/, mkctl: "pod/web-1\n" },
  { args: ["get", "pods", "--all-namespaces=true", "-o=name"], request: /^\/api\/v1\/pods\?limit=500$/, mkctl: "pod/web-0\npod/db-1\npod/web-1\n" },
  { args: ["get", "pods", "-Ao=name"], request: /^\/api\/v1\/pods\?limit=500$/, mkctl: "pod/web-0\npod/db-1\npod/web-1\n" },
  { args: ["get", "pods", "--all-namespaces=false", "--namespace=team", "-o", "name"], request: /^\/api\/v1\/namespaces\/team\/pods\?limit=500$/, mkctl: "pod/db-1\npod/web-1\n" },
  { args: ["get", "pods", "-n", "team", "--request-timeout", "1m30s", "-o=name"], request: /^\/api\/v1\/namespaces\/team\/pods\?limit=500&timeout=1m30s$/, mkctl: "pod/db-1\npod/web-1\n" },
  { args: ["-n=team", "get", "pods", "--selector=app=db", "-oname"], request: /^\/api\/v1\/namespaces\/team\/pods\?labelSelector=app%3Ddb&/, mkctl: "pod/db-1\n" },
];

test("with a server: mkctl reads each argv as kubectl's request for it shows kubectl read it", async () => {
  for (const c of WITH_SERVER) assert.deepEqual(await mkctl(c.args), { code: 0, stdout: c.mkctl, stderr: "" }, c.args.join(" "));
});

test("with a server: kubectl's requests for the same argv", { skip: noKubectl }, async () => {
  for (const c of WITH_SERVER) assert.match(await kubectlRequest(c.args), c.request, c.args.join(" "));
});

test("a server that accepts TCP but is not mk, or never answers: one line, no gRPC internals", async () => {
  const http = createHttpServer((_req, res) => res.end("not mk\n"));
  const silent = createTcpServer(() => {
    // Accepts and says nothing: a firewall's black hole, or a stuck process.
  });
  const listen = (s: Server | ReturnType<typeof createTcpServer>) =>
    new Promise<string>((resolve) => s.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(s.address() as AddressInfo).port}`)));
  const [httpAddr, silentAddr] = [await listen(http), await listen(silent)];
  try {
    assert.deepEqual(await mkctlFor(httpAddr)(["get", "pods"]), {
      code: 1,
      stdout: "",
      stderr: `Unable to connect to the server: ${httpAddr}: no gRPC answer over plaintext HTTP/2 (not an mk API server, or one that wants TLS)\n`,
    });
    assert.deepEqual(await mkctlFor(silentAddr)(["get", "pods", "--request-timeout=1s"]), {
      code: 1,
      stdout: "",
      stderr: `Unable to connect to the server: ${silentAddr}: i/o timeout\n`,
    });
  } finally {
    http.close();
    silent.close();
  }
});
