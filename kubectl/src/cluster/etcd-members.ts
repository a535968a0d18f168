// etcd's Cluster service (etcdserverpb.Cluster: MemberList, MemberAdd, MemberPromote, MemberRemove),
// which `cluster join --control-plane` calls directly, as kubeadm's joining control plane does: the
// only place outside the API server that talks to etcd, and for membership only. Four small messages
// are encoded by hand with @bufbuild/protobuf's wire codec (the fields of etcd's rpc.proto):
//   MemberAddRequest     { repeated string peerURLs = 1; bool isLearner = 2; }
//   MemberAddResponse    { ResponseHeader header = 1; Member member = 2; repeated Member members = 3; }
//   MemberListResponse / MemberPromoteResponse / MemberRemoveResponse { header = 1; repeated Member members = 2; }
//   Member               { uint64 ID = 1; string name = 2; repeated string peerURLs = 3; repeated string clientURLs = 4; bool isLearner = 5; }
//   MemberPromoteRequest / MemberRemoveRequest { uint64 ID = 1; }
// IDs stay bigint (uint64: etcd's are random 64-bit numbers).
import { Client, credentials, Metadata, type ServiceError, status } from "@grpc/grpc-js";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";

export interface EtcdMemberInfo {
  id: bigint;
  /** Empty while an added member has not started yet. */
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface EtcdTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function readMember(bytes: Uint8Array): EtcdMemberInfo {
  const r = new BinaryReader(bytes);
  const m: EtcdMemberInfo = { id: 0n, name: "", peerUrls: [], clientUrls: [], isLearner: false };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === 1 && wire === WireType.Varint) m.id = BigInt.asUintN(64, BigInt(r.uint64()));
    else if (field === 2 && wire === WireType.LengthDelimited) m.name = r.string();
    else if (field === 3 && wire === WireType.LengthDelimited) m.peerUrls.push(r.string());
    else if (field === 4 && wire === WireType.LengthDelimited) m.clientUrls.push(r.string());
    else if (field === 5 && wire === WireType.Varint) m.isLearner = r.bool();
    else r.skip(wire);
  }
  return m;
}

/** The members of a response (field `membersField`) and, for MemberAdd, the added one (field 2). */
function readMembers(buf: Buffer, membersField: number): { member?: EtcdMemberInfo; members: EtcdMemberInfo[] } {
  const r = new BinaryReader(buf);
  const out: { member?: EtcdMemberInfo; members: EtcdMemberInfo[] } = { members: [] };
  while (r.pos < r.len) {
    const [field, wire] = r.tag();
    if (field === membersField && wire === WireType.LengthDelimited) out.members.push(readMember(r.bytes()));
    else if (membersField === 3 && field === 2 && wire === WireType.LengthDelimited) out.member = readMember(r.bytes());
    else r.skip(wire);
  }
  return out;
}

const idRequest = (id: bigint) => Buffer.from(new BinaryWriter().tag(1, WireType.Varint).uint64(id).finish());

/** A learner not yet in sync: MemberPromote says so with FailedPrecondition (etcd's ErrGRPCLearnerNotReady). */
export function isLearnerNotReady(err: unknown): boolean {
  return (err as ServiceError | undefined)?.code === status.FAILED_PRECONDITION;
}

/**
 * MemberAdd refused before anything changed: the member asked has not been connected to every voting
 * peer for etcd's health interval (5 s; e.g. just after the previous member was promoted), so a new
 * member could break quorum (etcd's ErrGRPCUnhealthy, code Unavailable). Asking again later is safe.
 */
export function isUnhealthyCluster(err: unknown): boolean {
  const e = err as ServiceError | undefined;
  return e?.code === status.UNAVAILABLE && /unhealthy cluster/.test(e.details ?? e.message ?? "");
}

export class EtcdMembership {
  private readonly client: Client;

  /** endpoint: one member's client address, host:port (https). */
  constructor(
    readonly endpoint: string,
    tls: EtcdTls,
    private readonly timeoutMs = 10_000,
  ) {
    this.client = new Client(endpoint, credentials.createSsl(tls.ca, tls.key, tls.cert));
  }

  private call(method: string, request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        `/etcdserverpb.Cluster/${method}`,
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        new Metadata(),
        { deadline: new Date(Date.now() + this.timeoutMs) },
        (err, res) => (err || !res ? reject(Object.assign(err ?? new Error("no response"), { message: `etcd ${method} at ${this.endpoint}: ${err?.details || err?.message}` })) : resolve(res)),
      );
    });
  }

  async list(): Promise<EtcdMemberInfo[]> {
    // MemberListRequest {} (3.5 adds `linearizable`; 3.4's list is served by the leader's view anyway).
    return readMembers(await this.call("MemberList", Buffer.alloc(0)), 2).members;
  }

  /** Adds a member (a learner: no vote, no quorum change until promoted); returns it and every member. */
  async add(peerUrls: string[], isLearner: boolean): Promise<{ member: EtcdMemberInfo; members: EtcdMemberInfo[] }> {
    const w = new BinaryWriter();
    for (const u of peerUrls) w.tag(1, WireType.LengthDelimited).string(u);
    if (isLearner) w.tag(2, WireType.Varint).bool(true);
    const { member, members } = readMembers(await this.call("MemberAdd", Buffer.from(w.finish())), 3);
    if (!member) throw new Error(`etcd MemberAdd at ${this.endpoint} answered without the new member`);
    return { member, members };
  }

  /** Makes a learner a voting member; FailedPrecondition (isLearnerNotReady) while it is behind the leader. */
  async promote(id: bigint): Promise<EtcdMemberInfo[]> {
    return readMembers(await this.call("MemberPromote", idRequest(id)), 2).members;
  }

  async remove(id: bigint): Promise<EtcdMemberInfo[]> {
    return readMembers(await this.call("MemberRemove", idRequest(id)), 2).members;
  }

  close(): void {
    this.client.close();
  }
}
