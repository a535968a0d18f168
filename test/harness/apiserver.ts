// A fresh etcd and an in-process mk-apiserver on free loopback ports, for one test file.
import { type ApiServerOptions, startApiServer } from "@mk/apiserver";
import { pino } from "pino";
import { type EtcdHandle, startEtcd } from "./etcd.js";

export interface TestApiServer {
  /** 127.0.0.1:PORT of the gRPC API. */
  address: string;
  etcd: EtcdHandle;
  /** The server itself (storage, watch hub, compactor) for tests that look inside. */
  server: Awaited<ReturnType<typeof startApiServer>>;
  stop(): Promise<void>;
}

export type TestApiServerOptions = Partial<Omit<ApiServerOptions, "etcdServers" | "listen">>;

export async function startTestApiServer(opts: TestApiServerOptions = {}): Promise<TestApiServer> {
  const etcd = await startEtcd();
  try {
    const server = await startApiServer({
      httpListen: "",
      logger: pino({ level: process.env.MK_TEST_LOG_LEVEL ?? "silent" }),
      ...opts,
      etcdServers: [etcd.endpoint],
      listen: "127.0.0.1:0",
    });
    return {
      address: server.address,
      etcd,
      server,
      async stop() {
        await server.stop();
        await etcd.stop();
      },
    };
  } catch (err) {
    await etcd.stop();
    throw err;
  }
}
