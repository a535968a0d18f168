// Unit tests of the Pod → container translation, flags and helpers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isLocalAddress, NodeIpError, resolveNodeIp } from "@mk/kubelet/node/host.js";
import { parseLabels, parseTaints } from "@mk/kubelet/node/registration.js";
import { Demuxer } from "@mk/kubelet/runtime/demux.js";
import { hasRegistryHost } from "@mk/kubelet/runtime/docker.js";
import { containerName } from "@mk/kubelet/runtime/names.js";
import { pullPolicyOf } from "@mk/proto";
import { appContainerConfig, PodConfigError, sandboxConfig } from "@mk/kubelet/runtime/pod-spec.js";
import { emptyMeta, Pod } from "@mk/proto";

const node = { nodeName: "n1", clusterId: "10.0.0.1:6443", nodeIp: "10.0.0.5", podInfraImage: "mk/pause:1", allowPrivileged: false };

function pod(spec: object): Pod {
  return Pod.fromPartial({ metadata: emptyMeta({ name: "web", namespace: "prod", uid: "0123abcd-4567-89ef-0000-000000000000" }), spec });
}

test("names and labels", () => {
  assert.equal(containerName("app", { uid: "0123abcd-4567", name: "web", namespace: "prod" }, 3), "mk_app_web_prod_0123abcd_3");
  const p = pod({ containers: [{ name: "app", image: "mk/web:v1", ports: [{ containerPort: 8080, hostPort: 30080 }] }] });
  const sb = sandboxConfig(p, node, 0);
  assert.equal(sb.name, "mk_POD_web_prod_0123abcd_0");
  assert.deepEqual(sb.network, { mode: "bridge", portBindings: [{ containerPort: 8080, protocol: "tcp", hostIp: "10.0.0.5", hostPort: 30080 }] });
  assert.equal(sb.labels["io.mk.pod.uid"], "0123abcd-4567-89ef-0000-000000000000");
  assert.equal(sb.labels["io.mk.node.name"], "n1");
  assert.equal(sb.labels["io.mk.cluster"], "10.0.0.1:6443");
  assert.equal(sb.init, true);
});

test("command replaces ENTRYPOINT, args replace CMD; limits; security", () => {
  const p = pod({
    containers: [
      { name: "a", image: "x:1", command: ["sh"], args: ["-c", "true"], resources: { limits: { cpu: "250m", memory: "1Gi" } } },
      { name: "b", image: "x:1", args: ["--flag"], securityContext: { runAsUser: 1000, runAsGroup: 2000, capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] }, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false } },
      { name: "c", image: "x:1", command: ["only"] },
      { name: "d", image: "x:1", securityContext: { privileged: true } },
    ],
  });
  const [a, b, c, d] = p.spec?.containers ?? [];
  assert.ok(a && b && c && d);
  const ca = appContainerConfig(p, a, node, "sb", 0);
  assert.deepEqual([ca.entrypoint, ca.cmd, ca.nanoCpus, ca.memoryBytes], [["sh"], ["-c", "true"], 250_000_000, 2 ** 30]);
  assert.deepEqual(ca.network, { mode: "container", containerId: "sb" });
  const cb = appContainerConfig(p, b, node, "sb", 0);
  assert.equal(cb.entrypoint, undefined);
  assert.deepEqual(cb.cmd, ["--flag"]);
  assert.deepEqual(cb.security, { user: "1000:2000", capAdd: ["NET_ADMIN"], capDrop: ["ALL"], privileged: false, readOnlyRootFilesystem: true, noNewPrivileges: true });
  const cc = appContainerConfig(p, c, node, "sb", 0);
  assert.deepEqual([cc.entrypoint, cc.cmd], [["only"], []], "command alone drops the image's CMD");
  assert.throws(() => appContainerConfig(p, d, node, "sb", 0), PodConfigError);
  assert.equal(appContainerConfig(p, d, { ...node, allowPrivileged: true }, "sb", 0).security.privileged, true);
});

test("volumes: unknown names and subPath on a volume are config errors", () => {
  const p = pod({ volumes: [{ name: "e", emptyDir: {} }], containers: [{ name: "a", image: "x:1", volumeMounts: [{ name: "nope", mountPath: "/x" }] }, { name: "b", image: "x:1", volumeMounts: [{ name: "e", mountPath: "/x", subPath: "s" }] }] });
  const [a, b] = p.spec?.containers ?? [];
  assert.ok(a && b);
  assert.throws(() => appContainerConfig(p, a, node, "sb", 0), /names no volume/);
  assert.throws(() => appContainerConfig(p, b, node, "sb", 0), /subPath/);
});

test("pull policy defaults and registry hosts", () => {
  const c = (image: string, imagePullPolicy = "") => ({ image, imagePullPolicy }) as never;
  assert.equal(pullPolicyOf(c("mk/web:v1")), "IfNotPresent");
  assert.equal(pullPolicyOf(c("mk/web")), "Always");
  assert.equal(pullPolicyOf(c("mk/web:latest")), "Always");
  assert.equal(pullPolicyOf(c("127.0.0.1:5000/mk/web")), "Always");
  assert.equal(pullPolicyOf(c("127.0.0.1:5000/mk/web:v1")), "IfNotPresent");
  assert.equal(pullPolicyOf(c("mk/web:latest", "Never")), "Never");
  assert.equal(hasRegistryHost("mk/web:v1"), false);
  assert.equal(hasRegistryHost("busybox"), false);
  assert.equal(hasRegistryHost("127.0.0.1:5000/mk/web:v1"), true);
  assert.equal(hasRegistryHost("localhost/x"), true);
  assert.equal(hasRegistryHost("registry.example/x"), true);
});

test("--register-with-taints and --node-labels", () => {
  assert.deepEqual(parseTaints("a=b:NoSchedule, c:NoExecute"), [
    { key: "a", value: "b", effect: "NoSchedule", timeAdded: "" },
    { key: "c", value: "", effect: "NoExecute", timeAdded: "" },
  ]);
  assert.throws(() => parseTaints("a=b:Sometimes"), /invalid taint/);
  assert.deepEqual(parseLabels("zone=a, tier=web"), { zone: "a", tier: "web" });
  assert.throws(() => parseLabels("novalue"), /invalid label/);
});

test("--node-ip: loopback addresses of lo's subnet are local, others are refused", () => {
  assert.equal(isLocalAddress("127.0.0.2"), true);
  assert.equal(isLocalAddress("203.0.113.77"), false);
  assert.equal(resolveNodeIp("127.0.0.3"), "127.0.0.3");
  assert.throws(() => resolveNodeIp("203.0.113.77"), NodeIpError);
  assert.throws(() => resolveNodeIp("not-an-ip"), NodeIpError);
});

test("demux: frames split across chunks", () => {
  const frame = (t: number, s: string) => {
    const h = Buffer.alloc(8);
    h.writeUInt8(t, 0);
    h.writeUInt32BE(Buffer.byteLength(s), 4);
    return Buffer.concat([h, Buffer.from(s)]);
  };
  const all = Buffer.concat([frame(1, "out\n"), frame(2, "err\n"), frame(1, "more")]);
  const d = new Demuxer();
  const got = [...d.push(all.subarray(0, 5)), ...d.push(all.subarray(5, 15)), ...d.push(all.subarray(15))];
  assert.deepEqual(
    got.map((f) => [f.stream, f.data.toString()]),
    [
      ["stdout", "out\n"],
      ["stderr", "err\n"],
      ["stdout", "more"],
    ],
  );
  assert.equal(d.leftover, 0);
});
