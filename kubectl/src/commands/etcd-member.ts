// `mkctl cluster etcd-member add|promote`: the two etcd steps of a control-plane join on another
// machine (deploy/vm/install.sh control-plane --join), run by the script around starting mk-etcd,
// as kubeadm's join phases `control-plane-join etcd` do: add this machine's member as a learner
// through a running member, then promote it once it has caught up. Both talk to etcd's Cluster
// service with the API server's etcd client certificate from --pki-dir, issued from the cluster's CA.
import { Command } from "commander";
import { durationOption } from "../argv.js";
import { etcdTls } from "../cluster/control-plane-member.js";
import { addMember, promoteMember } from "../cluster/etcd-join.js";
import { EtcdMembership } from "../cluster/etcd-members.js";
import { pkiPaths } from "../cluster/pki.js";
import { parseDurationFlag } from "../duration.js";

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const ENDPOINT = /^[^:/\s]+:\d{1,5}$/;
const URL_FLAG = /^https?:\/\/[^/\s]+:\d{1,5}$/;

interface MemberFlags {
  endpoint: string;
  pkiDir: string;
  peerUrl: string;
  timeout: string;
}

function connect(o: MemberFlags): { etcd: EtcdMembership; deadline: number } {
  if (!ENDPOINT.test(o.endpoint)) throw new Error(`--endpoint ${JSON.stringify(o.endpoint)}: want HOST:PORT, a running member's client address`);
  if (!URL_FLAG.test(o.peerUrl)) throw new Error(`--peer-url ${JSON.stringify(o.peerUrl)}: want https://IP:PORT`);
  const deadline = Date.now() + parseDurationFlag(o.timeout);
  return { etcd: new EtcdMembership(o.endpoint, etcdTls(pkiPaths(o.pkiDir))), deadline };
}

export function etcdMemberCommand(say: (line: string) => void): Command {
  const cmd = new Command("etcd-member").description("Add this machine's etcd member to a running cluster (a learner) and promote it: the etcd steps of install.sh control-plane --join");
  const common = (c: Command) =>
    c
      .requiredOption("--endpoint <host:port>", "a running member's client address, e.g. 192.168.56.10:12379")
      .requiredOption("--pki-dir <dir>", "the certificates issued from the cluster's CA (ca.crt, apiserver-etcd-client.crt/.key)")
      .requiredOption("--peer-url <url>", "this member's peer URL, e.g. https://192.168.56.11:12380")
      .addOption(durationOption("--timeout <duration>", "how long to keep asking etcd", "120s"));

  common(cmd.command("add"))
    .description("Add the member as a learner (kept when it is listed already); print MK_ETCD_INITIAL_CLUSTER and MK_ETCD_SERVERS for its env file")
    .requiredOption("--name <name>", "the member's name (--name of its etcd)")
    .requiredOption("--client-url <url>", "this member's client URL, e.g. https://192.168.56.11:12379")
    .action(async (o: MemberFlags & { name: string; clientUrl: string }) => {
      if (!NAME.test(o.name)) throw new Error(`--name ${JSON.stringify(o.name)}: want lowercase letters, digits, '-' and '.'`);
      if (!URL_FLAG.test(o.clientUrl)) throw new Error(`--client-url ${JSON.stringify(o.clientUrl)}: want https://IP:PORT`);
      const { etcd, deadline } = connect(o);
      try {
        const out = await addMember(etcd, o.name, o.peerUrl, o.clientUrl, deadline);
        say(out.added ? `etcd member ${o.name} added as a learner (${o.peerUrl})` : `etcd member at ${o.peerUrl} is listed already; kept`);
        process.stdout.write(`MK_ETCD_INITIAL_CLUSTER=${out.initialCluster}\nMK_ETCD_SERVERS=${out.etcdServers.join(",")}\n`);
      } finally {
        etcd.close();
      }
    });

  cmd
    .command("list")
    .description("List the members as `etcdctl member list` does: ID, status, name, peer URLs, client URLs, is learner")
    .requiredOption("--endpoint <host:port>", "a running member's client address, e.g. 192.168.56.10:12379")
    .requiredOption("--pki-dir <dir>", "the certificates issued from the cluster's CA (ca.crt, apiserver-etcd-client.crt/.key)")
    .action(async (o: { endpoint: string; pkiDir: string }) => {
      if (!ENDPOINT.test(o.endpoint)) throw new Error(`--endpoint ${JSON.stringify(o.endpoint)}: want HOST:PORT, a running member's client address`);
      const etcd = new EtcdMembership(o.endpoint, etcdTls(pkiPaths(o.pkiDir)));
      try {
        for (const m of await etcd.list()) {
          // etcdctl's simple format; a member added but not started yet has no name and no client URL.
          const fields = [m.id.toString(16), m.name === "" ? "unstarted" : "started", m.name, m.peerUrls.join(","), m.clientUrls.join(","), String(m.isLearner)];
          process.stdout.write(`${fields.join(", ")}\n`);
        }
      } finally {
        etcd.close();
      }
    });

  common(cmd.command("promote"))
    .description("Promote the learner at --peer-url to a voting member once it has caught up")
    .action(async (o: MemberFlags) => {
      const { etcd, deadline } = connect(o);
      try {
        const done = await promoteMember(etcd, o.peerUrl, deadline);
        say(done === "promoted" ? `etcd member at ${o.peerUrl} promoted to a voting member` : `etcd member at ${o.peerUrl} is a voting member already`);
      } finally {
        etcd.close();
      }
    });
  return cmd;
}
