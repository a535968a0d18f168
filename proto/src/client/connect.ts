// connect(): one gRPC channel to the API server, with explicit credentials, deadlines and keepalive.
import { readFileSync } from "node:fs";
import { type ChannelCredentials, type ChannelOptions, credentials as grpcCredentials } from "@grpc/grpc-js";
import { ResourcesClient } from "../gen/mk/v1/api.js";
import { Clientset } from "./clientset.js";
import type { RetryPolicy } from "./retry.js";

export interface TlsOptions {
  /** PEM of the CA that signed the server's certificate. */
  ca: Buffer | string;
  /** Client certificate and key (PEM) for mutual TLS. */
  cert?: Buffer | string;
  key?: Buffer | string;
  /** Name to check in the server's certificate, when it differs from the address dialled. */
  serverName?: string;
}

export interface ConnectOptions {
  /** host:port of mk-apiserver. */
  server: string;
  /** Without it the channel is plaintext (local development only). */
  tls?: TlsOptions;
  /** Deadline for each unary call; default 30 s. */
  timeoutMs?: number;
  /** Retry of UNAVAILABLE calls and deadlines; default 8 attempts from 100 ms up to 2 s apart (retry.ts). */
  retry?: Partial<RetryPolicy>;
  /** Identifies the caller in the API server's logs. */
  userAgent?: string;
}

/**
 * The TLS of a component's `--tls-ca/--tls-cert/--tls-key` flags: all three (mutual TLS with the
 * certificate `mkctl cluster init` or `join` made) or none (plaintext).
 */
export function tlsFromFiles(files: { ca?: string | undefined; cert?: string | undefined; key?: string | undefined }): TlsOptions | undefined {
  const given = [files.ca, files.cert, files.key].filter((f) => f);
  if (given.length === 0) return undefined;
  if (!files.ca || !files.cert || !files.key) throw new Error("--tls-ca, --tls-cert and --tls-key go together");
  return { ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

const toBuf = (b: Buffer | string | undefined): Buffer | null => (b === undefined ? null : Buffer.isBuffer(b) ? b : Buffer.from(b));

export function channelCredentials(tls: TlsOptions | undefined): ChannelCredentials {
  if (!tls) return grpcCredentials.createInsecure();
  return grpcCredentials.createSsl(toBuf(tls.ca), toBuf(tls.key), toBuf(tls.cert));
}

/** Keepalive so that a watch over a cut link fails within ~15 s instead of hanging forever. */
export function channelOptions(opts: { serverName?: string; userAgent?: string } = {}): ChannelOptions {
  const o: ChannelOptions = {
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.initial_reconnect_backoff_ms": 200,
    "grpc.max_reconnect_backoff_ms": 5_000,
  };
  if (opts.serverName) o["grpc.ssl_target_name_override"] = opts.serverName;
  if (opts.userAgent) o["grpc.primary_user_agent"] = opts.userAgent;
  return o;
}

export function connect(options: ConnectOptions): Clientset {
  const raw = new ResourcesClient(
    options.server,
    channelCredentials(options.tls),
    channelOptions({ serverName: options.tls?.serverName, userAgent: options.userAgent }),
  );
  return new Clientset(raw, { timeoutMs: options.timeoutMs ?? 30_000, retry: options.retry });
}
