// mkctl explain TYPE[.field.path] [--recursive] [--api-version GROUP/VERSION]: kubectl explain's
// plaintext output, rendered (explain/render.ts) from the OpenAPI v3 document the API server serves
// for the kind's group version. mkctl builds that document itself, from the API's descriptors that
// ship with @mk/proto (the generator is the server's, @mk/proto/api openapi.ts): no server call, the
// same schema, and `explain` answers with no cluster running, as the server's schema never differs
// from the client's of the same build.
import { groupVersionKind, kindsByGroupVersion, loadOpenApiSchemas, lookupKind } from "@mk/proto/api";
import type { Cli } from "../cli.js";
import { CliError } from "../errors.js";
import { Explainer, FieldNotFound } from "../explain/render.js";

export interface ExplainFlags {
  recursive?: boolean;
  apiVersion?: string;
  output?: string;
}

export async function explain(cli: Cli, args: string[], f: ExplainFlags): Promise<void> {
  if (args.length === 0) throw new CliError("You must specify the type of resource to explain. Use \"mkctl api-resources\" for a complete list of supported resources.");
  if (args.length > 1) throw new CliError(`We accept only this format: explain RESOURCE`);
  const output = f.output ?? "plaintext";
  if (output !== "plaintext") throw new CliError(`unsupported output format "${output}": mkctl explain prints plaintext (kubectl's default)`);
  const [type = "", ...path] = (args[0] ?? "").split(".");
  const info = lookupKind(type);
  // kubectl explain's line has no "error: " prefix here.
  if (!info) throw new CliError(`the server doesn't have a resource type "${type}"`, { raw: true });
  if (f.apiVersion !== undefined && f.apiVersion !== info.apiVersion) {
    throw new CliError(`couldn't find resource for "${f.apiVersion}, Resource=${info.plural}"`);
  }
  const kinds = kindsByGroupVersion().get(info.apiVersion) ?? [info];
  const schemas = loadOpenApiSchemas();
  const explainer = new Explainer({ components: { schemas: schemas.schemasFor(kinds) } });
  const gvk = groupVersionKind(info) as { group: string; kind: string; version: string };
  try {
    cli.out(explainer.explain(gvk, schemas.schemaNameOf(info.kind), path, Boolean(f.recursive)));
  } catch (err) {
    if (err instanceof FieldNotFound) throw new CliError(err.message, { cause: err });
    throw err;
  }
}
