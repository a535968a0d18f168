// Adding an etcd member to a running cluster, as kubeadm's `join --control-plane` does: MemberAdd as
// a learner (no vote, so the quorum is unchanged while it catches up), the new member started with
// --initial-cluster-state existing and the list MemberAdd answered, then MemberPromote once it has
// caught up. Shared by the same-machine `cluster join --control-plane` (control-plane-join.ts) and the
// VM install script's `control-plane --join` (`mkctl cluster etcd-member add|promote`).
import { type EtcdMemberInfo, type EtcdMembership, isLearnerNotReady, isUnhealthyCluster } from "./etcd-members.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** etcd's --initial-cluster for the new member, from MemberAdd's list (etcdctl member add prints the same). */
export function initialCluster(members: EtcdMemberInfo[], added: EtcdMemberInfo, name: string): string {
  return members.flatMap((m) => m.peerUrls.map((u) => `${m.id === added.id ? name : m.name}=${u}`)).join(",");
}

/** Promotes the learner once it has caught up (FailedPrecondition until then; Unavailable while leaders change). */
export async function promoteWhenReady(etcd: EtcdMembership, id: bigint, deadline: number): Promise<void> {
  for (;;) {
    try {
      await etcd.promote(id);
      return;
    } catch (err) {
      // FailedPrecondition: not caught up yet (or not started); anything else (a leader election, a
      // slow member) is retried the same way until the deadline, which reports the last answer.
      if (Date.now() > deadline) {
        const why = isLearnerNotReady(err) ? "the learner did not catch up in time" : "etcd refused the promotion";
        throw new Error(`${why}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      await sleep(500);
    }
  }
}

/** MemberAdd as a learner, asked again while etcd answers "unhealthy cluster" (nothing was added then). */
export async function addLearner(etcd: EtcdMembership, peerUrl: string, deadline: number): Promise<{ member: EtcdMemberInfo; members: EtcdMemberInfo[] }> {
  for (;;) {
    try {
      return await etcd.add([peerUrl], true);
    } catch (err) {
      if (!isUnhealthyCluster(err) || Date.now() > deadline) throw err;
      await sleep(1_000);
    }
  }
}

/** What a member started on another machine needs: its --initial-cluster and every member's client URL. */
export interface AddedMember {
  initialCluster: string;
  /** Every member's client URL, the new one's included (the API server's --etcd-servers). */
  etcdServers: string[];
  /** False when a member with this peer URL was there already (a second run after an interrupted one). */
  added: boolean;
}

/**
 * Adds `name` at `peerUrl` as a learner through a running member (the VM install script's join):
 * a member already listed at that peer URL (the script ran before) is kept, not added twice.
 */
export async function addMember(etcd: EtcdMembership, name: string, peerUrl: string, clientUrl: string, deadline: number): Promise<AddedMember> {
  const before = await etcd.list();
  const clash = before.find((m) => m.name === name && !m.peerUrls.includes(peerUrl));
  if (clash) throw new Error(`--name ${name}: etcd has a member of that name already, at ${clash.peerUrls.join(",")}`);
  const existing = before.find((m) => m.peerUrls.includes(peerUrl));
  const { member, members } = existing ? { member: existing, members: before } : await addLearner(etcd, peerUrl, deadline);
  const etcdServers = members.flatMap((m) => (m.id === member.id ? [clientUrl] : m.clientUrls));
  return { initialCluster: initialCluster(members, member, name), etcdServers, added: !existing };
}

/** Promotes the member at `peerUrl` once it has caught up; a voter already is left as it is. */
export async function promoteMember(etcd: EtcdMembership, peerUrl: string, deadline: number): Promise<"promoted" | "voter"> {
  const me = (await etcd.list()).find((m) => m.peerUrls.includes(peerUrl));
  if (!me) throw new Error(`no etcd member has the peer URL ${peerUrl} (etcd-member add makes it)`);
  if (!me.isLearner) return "voter";
  await promoteWhenReady(etcd, me.id, deadline);
  return "promoted";
}
