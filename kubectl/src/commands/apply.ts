// mkctl apply -f FILE|DIR|- : creates what is missing, patches what exists (a three-way strategic
// merge patch from the last-applied annotation, as kubectl sends; `{}` is `unchanged`), and rejects a manifest naming every bad field at once: the client's
// schema errors (unknown fields, wrong types) together with the server's validation, obtained from
// a dry run so that nothing is written.
import { type AnyObject, Schema } from "@mk/proto/api";
import { type Clientset, InvalidError, type FieldError, NotFoundError, retryOnConflict } from "@mk/proto/client";
import type { Cli } from "../cli.js";
import { CliError, invalidLine, toCliError } from "../errors.js";
import { identify, type Manifest, readManifests } from "../manifest.js";
import { readLastApplied, threeWayPatch, withLastApplied } from "../merge.js";
import { fromK8s, isObject, type JsonObject, toK8s } from "../objects.js";
import { refName } from "../resources.js";

export interface ApplyFlags {
  filename?: string[];
  recursive?: boolean;
  dryRun?: string;
}

type DryRun = "none" | "server" | "client";

/** The manifest through the codec and back: the JSON the server would store, minus status. */
function normalize(m: Manifest, cleaned: JsonObject): JsonObject {
  const json = toK8s(m.info, fromK8s(m.info, cleaned));
  delete json.status;
  const meta: JsonObject = isObject(json.metadata) ? json.metadata : {};
  if (m.info.namespaced) meta.namespace = m.namespace;
  json.metadata = meta;
  return json;
}

function fieldsOf(err: unknown): FieldError[] | undefined {
  return err instanceof InvalidError && err.fields.length > 0 ? err.fields : undefined;
}

/** Server errors first (they come in field order), then the client's not already named. */
function combine(server: readonly FieldError[], client: readonly FieldError[]): FieldError[] {
  const seen = new Set(client.map((f) => f.field));
  return [...server.filter((f) => !seen.has(f.field)), ...client];
}

const MISSING_ANNOTATION =
  "is missing the kubectl.kubernetes.io/last-applied-configuration annotation which is required by mkctl apply. mkctl apply should only be used on resources created declaratively by either mkctl create --save-config or mkctl apply. The missing annotation will be patched automatically.";

async function applyOne(cs: Clientset, schema: Schema, m: Manifest, dryRun: DryRun, warn: (line: string) => void): Promise<string> {
  const client = cs.resource(m.info.kind);
  const { errors, cleaned } = schema.check(m.info.kind, m.doc);
  const modified = withLastApplied(normalize(m, cleaned));
  const suffix = dryRun === "server" ? " (server dry run)" : dryRun === "client" ? " (dry run)" : "";

  if (errors.length > 0) {
    // Ask the server what else is wrong, writing nothing, so the user sees every field at once.
    let serverFields: FieldError[] = [];
    try {
      let current: AnyObject | undefined;
      try {
        current = await client.get(m.name, m.namespace);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
      if (current) {
        const live = toK8s(m.info, current);
        await client.patch(m.name, m.namespace, "strategic", threeWayPatch(m.info.kind, readLastApplied(live), modified, live), { dryRun: true });
      } else {
        await client.create(fromK8s(m.info, modified), { dryRun: true });
      }
    } catch (err) {
      // Only validation adds to the message; any other failure leaves the client's errors to report.
      serverFields = fieldsOf(err) ?? [];
    }
    throw new CliError(invalidLine(m.info.kind, m.name, combine(serverFields, errors)), { raw: true });
  }

  try {
    return await retryOnConflict(async () => {
      let current: AnyObject;
      try {
        current = await client.get(m.name, m.namespace);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        if (dryRun !== "client") await client.create(fromK8s(m.info, modified), { dryRun: dryRun === "server" });
        return `${refName(m.info, m.name)} created${suffix}`;
      }
      const live = toK8s(m.info, current);
      const original = readLastApplied(live);
      if (!original) warn(`Warning: resource ${m.info.plural}/${m.name} ${MISSING_ANNOTATION}`);
      const patch = threeWayPatch(m.info.kind, original, modified, live);
      if (Object.keys(patch).length === 0) return `${refName(m.info, m.name)} unchanged${suffix}`;
      // The server applies the patch to the object as it stands then (a race is retried there).
      if (dryRun !== "client") await client.patch(m.name, m.namespace, "strategic", patch, { dryRun: dryRun === "server" });
      return `${refName(m.info, m.name)} configured${suffix}`;
    });
  } catch (err) {
    const fields = fieldsOf(err);
    if (fields) throw new CliError(invalidLine(m.info.kind, m.name, fields), { raw: true, cause: err });
    throw err;
  }
}

export function parseDryRun(v: string | undefined): DryRun {
  if (v === undefined || v === "none" || v === "false") return "none";
  if (v === "server" || v === "client") return v;
  if (v === "true" || v === "") return "client";
  throw new CliError(`Invalid dry-run value (${v}). Must be "none", "server", or "client".`);
}

export async function apply(cli: Cli, f: ApplyFlags): Promise<void> {
  if (!f.filename || f.filename.length === 0) throw new CliError("must specify one of -f and -k");
  const dryRun = parseDryRun(f.dryRun);
  const docs = readManifests(f.filename, Boolean(f.recursive));
  const manifests = docs.map((d) => identify(d, cli.namespace));
  for (const m of manifests) {
    if (!m.name) throw new CliError(`error validating "${m.source}": error validating data: metadata.name not set`);
    if (cli.connection.namespaceExplicit && m.info.namespaced && m.namespace !== cli.namespace) {
      throw new CliError(
        `the namespace from the provided object "${m.namespace}" does not match the namespace "${cli.namespace}". You must pass '--namespace=${m.namespace}' to perform this operation.`,
      );
    }
  }
  const cs = await cli.client();
  const schema = Schema.load();
  let failed: CliError | undefined;
  // Every document is tried, as kubectl does; the command fails at the end if any did.
  for (const m of manifests) {
    try {
      cli.out(`${await applyOne(cs, schema, m, dryRun, (line) => cli.err(`${line}\n`))}\n`);
    } catch (err) {
      if (failed) cli.err(`${failed.line}\n`);
      failed = toCliError(err, cli.server);
    }
  }
  if (failed) throw failed;
}
