// The API's protobuf descriptors (buf's image, @mk/proto/descriptor.json) indexed by full name, for
// code that reads messages by their schema: the API server's wire check of requests, the fuzzer.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface FieldDescriptorJson {
  name: string;
  number: number;
  /** TYPE_STRING, TYPE_INT32, TYPE_MESSAGE … */
  type: string;
  /** `.mk.v1.ObjectMeta` for messages. */
  typeName?: string;
  label?: string;
  jsonName?: string;
  oneofIndex?: number;
  proto3Optional?: boolean;
}

export interface MessageDescriptorJson {
  name: string;
  field?: FieldDescriptorJson[];
  nestedType?: MessageDescriptorJson[];
  oneofDecl?: { name: string }[];
  options?: { mapEntry?: boolean };
}

export interface DescriptorSetJson {
  file: {
    /** `mk/v1/core.proto`. */
    name?: string;
    package?: string;
    messageType?: MessageDescriptorJson[];
    service?: { name: string; method?: { name: string; inputType: string }[] }[];
    /** buf's image keeps the .proto comments here (the OpenAPI documents' descriptions). */
    sourceCodeInfo?: { location?: { path?: number[]; leadingComments?: string }[] };
  }[];
}

export interface Descriptors {
  /** Messages by full name (`.mk.v1.Pod`, `.mk.v1.ObjectMeta.LabelsEntry`). */
  messages: Map<string, MessageDescriptorJson>;
  /** Request types by method path (`/mk.v1.Resources/Create` → `.mk.v1.CreateRequest`). */
  inputs: Map<string, string>;
}

export function indexDescriptors(set: DescriptorSetJson): Descriptors {
  const messages = new Map<string, MessageDescriptorJson>();
  const inputs = new Map<string, string>();
  const add = (prefix: string, m: MessageDescriptorJson) => {
    const full = `${prefix}.${m.name}`;
    messages.set(full, m);
    for (const n of m.nestedType ?? []) add(full, n);
  };
  for (const f of set.file) {
    const pkg = f.package ?? "";
    for (const m of f.messageType ?? []) add(`.${pkg}`, m);
    for (const svc of f.service ?? []) for (const m of svc.method ?? []) inputs.set(`/${pkg}.${svc.name}/${m.name}`, m.inputType);
  }
  return { messages, inputs };
}

/** The descriptor set shipped in @mk/proto, as buf wrote it. */
export function readDescriptorSet(): DescriptorSetJson {
  const path = fileURLToPath(import.meta.resolve("@mk/proto/descriptor.json"));
  return JSON.parse(readFileSync(path, "utf8")) as DescriptorSetJson;
}

/** The descriptors shipped in @mk/proto. */
export function loadDescriptors(): Descriptors {
  return indexDescriptors(readDescriptorSet());
}
