// -o jsonpath=TEMPLATE: kubectl's JSONPath dialect. Literal text, `{.a.b}`, `{.items[*].metadata.name}`,
// `{.items[0]}`, `{.a['b.c']}`, `{..name}`, `[start:end]`, filters `[?(@.type=="Ready")]`,
// `{range .items[*]}…{end}` and string literals `{"\n"}`. Several results print separated by spaces;
// objects and lists print as JSON.
import { CliError } from "../errors.js";
import { isObject, type Json } from "../objects.js";

type Segment =
  | { t: "field"; name: string }
  | { t: "recursive"; name: string }
  | { t: "wildcard" }
  | { t: "index"; i: number }
  | { t: "slice"; start: number | undefined; end: number | undefined; step: number }
  /** `['a','b']` or `[0,2]`: each member's results, in order. */
  | { t: "union"; members: Segment[] }
  | { t: "filter"; path: Segment[]; op: string; value: Json | undefined };

type Node =
  | { t: "text"; s: string }
  | { t: "path"; segs: Segment[] }
  | { t: "range"; segs: Segment[]; body: Node[] };

function parseLiteral(s: string): Json {
  const v = s.trim();
  if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) return v.slice(1, -1);
  if (v === "true") return true;
  if (v === "false") return false;
  if (v === "null") return null;
  const n = Number(v);
  if (v !== "" && !Number.isNaN(n)) return n;
  return v;
}

/** Splits a bracket's content on the commas outside quotes: `'a','b'` → `'a'`, `'b'`. */
function splitUnion(inner: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote = "";
  for (const c of inner) {
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === ",") {
      out.push(cur.trim());
      cur = "";
      continue;
    }
    cur += c;
  }
  return [...out, cur.trim()];
}

/** One member of a bracket: an index, a slice `start:end[:step]`, or a quoted field name. */
function bracketMember(mem: string, bad: () => CliError): Segment {
  if (/^-?\d+$/.test(mem)) return { t: "index", i: Number(mem) };
  if (/^'.*'$|^".*"$/.test(mem)) return { t: "field", name: mem.slice(1, -1).replaceAll("\\.", ".") };
  const m = /^(-?\d*):(-?\d*)(?::(-?\d*))?$/.exec(mem);
  if (!m) throw bad();
  const step = m[3] ? Number(m[3]) : 1;
  if (step <= 0) throw new CliError(`step must be > 0`);
  return { t: "slice", start: m[1] ? Number(m[1]) : undefined, end: m[2] ? Number(m[2]) : undefined, step };
}

function parsePath(expr: string, template: string): Segment[] {
  const segs: Segment[] = [];
  let i = 0;
  const s = expr.trim();
  if (s[0] === "$" || s[0] === "@") i = 1;
  const bad = () => new CliError(`error parsing jsonpath ${template}, unrecognized character in action: ${s.slice(i)}`);
  while (i < s.length) {
    const ch = s[i];
    if (ch === ".") {
      if (s[i + 1] === ".") {
        const m = /^[A-Za-z0-9_\-$]+/.exec(s.slice(i + 2));
        if (!m) throw bad();
        segs.push({ t: "recursive", name: m[0] });
        i += 2 + m[0].length;
        continue;
      }
      if (s[i + 1] === "*") {
        segs.push({ t: "wildcard" });
        i += 2;
        continue;
      }
      // `\.` is a dot inside the name: {.data.tls\.crt}
      const m = /^(?:[A-Za-z0-9_\-$/]|\\\.)*/.exec(s.slice(i + 1));
      const raw = m?.[0] ?? "";
      if (raw) segs.push({ t: "field", name: raw.replaceAll("\\.", ".") });
      i += 1 + raw.length;
      continue;
    }
    if (ch === "[") {
      let depth = 0;
      let j = i;
      let quote = "";
      for (; j < s.length; j++) {
        const c = s[j];
        if (quote) {
          if (c === quote) quote = "";
        } else if (c === '"' || c === "'") quote = c;
        else if (c === "[") depth++;
        else if (c === "]" && --depth === 0) break;
      }
      if (j >= s.length) throw new CliError(`error parsing jsonpath ${template}, unterminated array`);
      const inner = s.slice(i + 1, j).trim();
      i = j + 1;
      const members = inner.startsWith("?(") ? [inner] : splitUnion(inner);
      if (members.length > 1) segs.push({ t: "union", members: members.map((mem) => bracketMember(mem, bad)) });
      else if (inner === "*") segs.push({ t: "wildcard" });
      else if (/^-?\d+$|^-?\d*:-?\d*(:-?\d*)?$|^'.*'$|^".*"$/.test(inner)) segs.push(bracketMember(inner, bad));
      else if (inner.startsWith("?(") && inner.endsWith(")")) {
        const cond = inner.slice(2, -1).trim();
        const m = /^(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(cond);
        if (m) segs.push({ t: "filter", path: parsePath(m[1] ?? "@", template), op: m[2] ?? "==", value: parseLiteral(m[3] ?? "") });
        else segs.push({ t: "filter", path: parsePath(cond, template), op: "exists", value: undefined });
      } else throw bad();
      continue;
    }
    throw bad();
  }
  return segs;
}

/** A string literal's escapes, in either quotes (`{'\t'}` is a tab, as in kubectl). */
function literalText(body: string): string {
  const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };
  return body.replace(/\\(.)/g, (all, c: string) => map[c] ?? all);
}

export function parseTemplate(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    const top = stack[stack.length - 1]!;
    if (open < 0) {
      top.push({ t: "text", s: template.slice(i) });
      break;
    }
    if (open > i) top.push({ t: "text", s: template.slice(i, open) });
    // Find the closing brace outside quotes.
    let j = open + 1;
    let quote = "";
    for (; j < template.length; j++) {
      const c = template[j];
      if (quote) {
        if (c === "\\") j++;
        else if (c === quote) quote = "";
      } else if (c === '"' || c === "'") quote = c;
      else if (c === "}") break;
    }
    if (j >= template.length) throw new CliError(`error parsing jsonpath ${template}, unclosed action`);
    const action = template.slice(open + 1, j).trim();
    i = j + 1;
    if (action === "end") {
      if (stack.length === 1) throw new CliError(`error parsing jsonpath ${template}, not in range, nothing to end`);
      stack.pop();
    } else if (action.startsWith("range ")) {
      const node: Node = { t: "range", segs: parsePath(action.slice(6), template), body: [] };
      top.push(node);
      stack.push(node.body);
    } else if (/^".*"$|^'.*'$/s.test(action)) {
      const body = action.slice(1, -1);
      top.push({ t: "text", s: literalText(body) });
    } else {
      top.push({ t: "path", segs: parsePath(action, template) });
    }
  }
  if (stack.length > 1) throw new CliError(`error parsing jsonpath ${template}, range is not closed`);
  return root;
}

function children(v: Json): Json[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

function recursiveFind(v: Json, name: string, out: Json[]): void {
  if (isObject(v) && Object.hasOwn(v, name)) out.push(v[name] as Json);
  for (const c of children(v)) recursiveFind(c, name, out);
}

function compare(a: Json | undefined, op: string, b: Json | undefined): boolean {
  switch (op) {
    case "==":
      return a === b || (a !== undefined && String(a) === String(b));
    case "!=":
      return !(a === b || (a !== undefined && String(a) === String(b)));
    case "<":
      return Number(a) < Number(b);
    case ">":
      return Number(a) > Number(b);
    case "<=":
      return Number(a) <= Number(b);
    case ">=":
      return Number(a) >= Number(b);
    default:
      return a !== undefined;
  }
}

export function evalPath(segs: readonly Segment[], input: Json): Json[] {
  let cur: Json[] = [input];
  for (const seg of segs) {
    if (seg.t === "union") {
      // Member by member over every current value, as Go's evalUnion: all names, then all namespaces.
      const from = cur;
      cur = seg.members.flatMap((mem) => from.flatMap((v) => evalPath([mem], v)));
      continue;
    }
    const next: Json[] = [];
    for (const v of cur) {
      switch (seg.t) {
        case "field":
          if (isObject(v) && Object.hasOwn(v, seg.name)) next.push(v[seg.name] as Json);
          break;
        case "recursive":
          recursiveFind(v, seg.name, next);
          break;
        case "wildcard":
          next.push(...children(v));
          break;
        case "index":
          if (Array.isArray(v)) {
            const item = v[seg.i < 0 ? v.length + seg.i : seg.i];
            if (item === undefined) throw new CliError(`array index out of bounds: index ${seg.i}, length ${v.length}`);
            next.push(item);
          }
          break;
        case "slice":
          if (Array.isArray(v)) next.push(...v.slice(seg.start, seg.end).filter((_, k) => k % seg.step === 0));
          break;
        case "filter":
          for (const item of children(v)) {
            const found = evalPath(seg.path, item);
            if (seg.op === "exists" ? found.length > 0 : found.some((f) => compare(f, seg.op, seg.value))) next.push(item);
          }
          break;
      }
    }
    cur = next;
  }
  return cur;
}

function show(v: Json): string {
  if (typeof v === "string") return v;
  if (v === null) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function run(nodes: readonly Node[], input: Json, template: string): string {
  let out = "";
  for (const n of nodes) {
    if (n.t === "text") out += n.s;
    else if (n.t === "path") out += evalPath(n.segs, input).map(show).join(" ");
    else for (const item of evalPath(n.segs, input)) out += run(n.body, item, template);
  }
  return out;
}

export function printJsonpath(template: string, input: Json): string {
  return run(parseTemplate(template), input, template);
}

/**
 * kubectl's RelaxedJSONPathExpression (wait --for=jsonpath, --sort-by, custom columns): `a.b`,
 * `.a.b`, `{a.b}` and `{.a.b}` all mean `{.a.b}`.
 */
export function relaxedJsonPath(expr: string): string {
  if (expr === "") return expr;
  const m = /^\{\.?([^{}]+)\}$|^\.?([^{}]+)$/.exec(expr);
  if (!m) throw new CliError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'");
  return `{.${m[1] ?? m[2] ?? ""}}`;
}

/** The values a one-path template finds (`{.status.phase}`), for wait, sort-by and custom columns. */
export function findValues(template: string, input: Json): Json[] {
  const nodes = parseTemplate(template);
  const out: Json[] = [];
  for (const n of nodes) if (n.t === "path") out.push(...evalPath(n.segs, input));
  return out;
}
