// What create -f, replace -f and get -f share: the manifests of -f (files, directories, "-"), each
// identified against the kinds table and checked against the API's schema, the namespace rule of
// kubectl (-n must match a manifest's own namespace), and kubectl's way of going through every
// object and reporting each failure with the file it came from.
import { type AnyObject, Schema } from "@mk/proto/api";
import { ApiError, InvalidError } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, invalidLine, serverError, toCliError } from "../errors.js";
import { identify, type Manifest, type ManifestDoc, readManifests } from "../manifest.js";
import { fromK8s, isObject, type JsonObject } from "../objects.js";

export interface FileFlags {
  filename?: string[];
  recursive?: boolean;
}

/** The manifests of -f, identified, in file order. `needName`: false where generateName will do (create). */
export function manifestsOf(cli: Cli, f: FileFlags, verb: string, needName = true): Manifest[] {
  if (!f.filename || f.filename.length === 0) throw new CliError("must specify one of -f and -k");
  return identifyAll(cli, readManifests(f.filename, Boolean(f.recursive), verb), needName);
}

/** Each document identified, with kubectl's checks: a name (or, where allowed, generateName) and -n matching. */
export function identifyAll(cli: Cli, docs: readonly ManifestDoc[], needName = true): Manifest[] {
  const manifests = docs.map((d) => identify(d, cli.namespace));
  for (const m of manifests) {
    const meta = isObject(m.doc.metadata) ? m.doc.metadata : {};
    if (!m.name && (needName || typeof meta.generateName !== "string" || !meta.generateName)) {
      throw new CliError(`error validating "${m.source}": error validating data: metadata.name not set`);
    }
    if (cli.connection.namespaceExplicit && m.info.namespaced && m.namespace !== cli.namespace) {
      throw new CliError(
        `the namespace from the provided object "${m.namespace}" does not match the namespace "${cli.namespace}". You must pass '--namespace=${m.namespace}' to perform this operation.`,
      );
    }
  }
  return manifests;
}

/** The manifest as the typed object to send: unknown fields and wrong types refused, naming each. */
export function objectOf(schema: Schema, m: Manifest): AnyObject {
  const { errors, cleaned } = schema.check(m.info.kind, m.doc);
  if (errors.length > 0) throw new CliError(invalidLine(m.info.kind, m.name, errors), { raw: true });
  const json: JsonObject = { ...cleaned };
  const meta: JsonObject = isObject(json.metadata) ? { ...json.metadata } : {};
  if (m.info.namespaced) meta.namespace = m.namespace;
  json.metadata = meta;
  return fromK8s(m.info, json);
}

/**
 * A server's answer about one object in kubectl's words: validation as `The Deployment "web" is
 * invalid: …`, any other refusal with the file named, `Error from server (AlreadyExists): error when
 * creating "web.yaml": deployments.apps "web" already exists`.
 */
export function sourceError(err: unknown, m: Manifest, gerund: string, server: string): CliError {
  if (err instanceof InvalidError && err.fields.length > 0) return new CliError(invalidLine(m.info.kind, m.name, err.fields), { raw: true, cause: err });
  if (err instanceof ApiError) return serverError(err.reason, `error when ${gerund} "${m.source}": ${err.message}`, err);
  return toCliError(err, server);
}

/**
 * Runs `one` over every manifest, as kubectl's visitor with ContinueOnError: the successes print as
 * they come, every failure is printed, and the command fails (with the last one) if any did.
 */
export async function forEachManifest(cli: Cli, manifests: readonly Manifest[], one: (m: Manifest) => Promise<string>): Promise<void> {
  const failures: CliError[] = [];
  for (const m of manifests) {
    try {
      cli.out(await one(m));
    } catch (err) {
      failures.push(toCliError(err, cli.server));
    }
  }
  const last = failures.pop();
  for (const e of failures) cli.err(`${e.line}\n`);
  if (last) throw last;
}

export { Schema };
