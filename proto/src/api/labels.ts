// Label selectors as Kubernetes writes them: `a=b,c!=d,e in (x,y),f notin (z),g,!h`, and the
// `LabelSelector` message (matchLabels + matchExpressions) turned into the same requirements.
import type { LabelSelector } from "../gen/mk/v1/meta.js";

export type Operator = "=" | "!=" | "in" | "notin" | "exists" | "!";

export interface Requirement {
  key: string;
  operator: Operator;
  /** Sorted; one value for = and !=, none for exists and !. */
  values: string[];
}

/** A parsed selector: every requirement must hold (an empty selector matches everything). */
export interface Selector {
  readonly requirements: readonly Requirement[];
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  empty(): boolean;
  toString(): string;
}

export class SelectorParseError extends Error {
  override readonly name = "SelectorParseError";
}

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Why a label key is invalid, or undefined when it is valid (Kubernetes' qualified name rules). */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : "";
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (key === "" || name === "") return "name part must be non-empty";
  if (prefix.length > 253) return "prefix part must be no more than 253 characters";
  if (name.length > 63) return "name part must be no more than 63 characters";
  if (!KEY_RE.test(key)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid. */
export function labelValueError(value: string): string | undefined {
  if (value.length > 63) return "must be no more than 63 characters";
  if (!VALUE_RE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

function requirementMatches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "=":
      return has && v === r.values[0];
    case "!=":
      return !has || v !== r.values[0];
    case "in":
      return has && v !== undefined && r.values.includes(v);
    case "notin":
      return !has || v === undefined || !r.values.includes(v);
    case "exists":
      return has;
    case "!":
      return !has;
  }
}

function requirementToString(r: Requirement): string {
  switch (r.operator) {
    case "=":
    case "!=":
      return `${r.key}${r.operator}${r.values[0] ?? ""}`;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${r.values.join(",")})`;
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
  }
}

function makeSelector(requirements: Requirement[]): Selector {
  // Sorted by key, as Kubernetes' selector String(), so equal selectors print equally.
  const reqs = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return {
    requirements: reqs,
    matches(labels) {
      const l = labels ?? {};
      for (const r of reqs) if (!requirementMatches(r, l)) return false;
      return true;
    },
    empty() {
      return reqs.length === 0;
    },
    toString() {
      return reqs.map(requirementToString).join(",");
    },
  };
}

export const EVERYTHING: Selector = makeSelector([]);

/** A selector that matches nothing (a LabelSelector message that is absent, for controllers). */
export const NOTHING: Selector = {
  requirements: [],
  matches: () => false,
  empty: () => false,
  toString: () => "<none>",
};

function checkKey(key: string): void {
  const err = labelKeyError(key);
  if (err) throw new SelectorParseError(`invalid label key "${key}": ${err}`);
}
function checkValue(value: string): void {
  const err = labelValueError(value);
  if (err) throw new SelectorParseError(`invalid label value: "${value}": ${err}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) throw new SelectorParseError(`unbalanced ")" in selector "${s}"`);
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else {
      cur += ch;
    }
  }
  if (depth !== 0) throw new SelectorParseError(`unbalanced "(" in selector "${s}"`);
  out.push(cur);
  return out;
}

const SET_RE = /^(\S+)\s+(in|notin)\s*\((.*)\)$/;
const EQ_RE = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/;

/** Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h`; throws SelectorParseError naming the bad term. */
export function parseSelector(s: string): Selector {
  const text = s.trim();
  if (text === "") return EVERYTHING;
  const reqs: Requirement[] = [];
  for (const raw of splitTerms(text)) {
    const term = raw.trim();
    if (term === "") throw new SelectorParseError(`empty term in selector "${s}"`);
    const set = SET_RE.exec(term);
    if (set) {
      const [, key = "", op = "", list = ""] = set;
      checkKey(key);
      const values = list
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      if (values.length === 0) throw new SelectorParseError(`"${term}": for 'in', 'notin' operators, values set can't be empty`);
      values.forEach(checkValue);
      reqs.push({ key, operator: op as Operator, values: [...new Set(values)].sort() });
      continue;
    }
    const eq = EQ_RE.exec(term);
    if (eq) {
      const [, key = "", op = "", value = ""] = eq;
      checkKey(key);
      checkValue(value);
      reqs.push({ key, operator: op === "!=" ? "!=" : "=", values: [value] });
      continue;
    }
    if (term.startsWith("!")) {
      const key = term.slice(1).trim();
      checkKey(key);
      reqs.push({ key, operator: "!", values: [] });
      continue;
    }
    if (/^\S+$/.test(term)) {
      checkKey(term);
      reqs.push({ key: term, operator: "exists", values: [] });
      continue;
    }
    throw new SelectorParseError(`unable to parse requirement "${term}"`);
  }
  return makeSelector(reqs);
}

/**
 * The requirements of a LabelSelector message. An absent message selects nothing, an empty one
 * everything, as Kubernetes' metav1.LabelSelectorAsSelector. Throws SelectorParseError on an unknown
 * operator or a bad key or value.
 */
export function selectorFromMessage(sel: LabelSelector | undefined): Selector {
  if (!sel) return NOTHING;
  const reqs: Requirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) {
    checkKey(key);
    checkValue(value);
    reqs.push({ key, operator: "=", values: [value] });
  }
  for (const e of sel.matchExpressions ?? []) {
    checkKey(e.key);
    switch (e.operator) {
      case "In":
      case "NotIn":
        if (e.values.length === 0) throw new SelectorParseError(`values: must be specified when \`operator\` is 'In' or 'NotIn'`);
        e.values.forEach(checkValue);
        reqs.push({ key: e.key, operator: e.operator === "In" ? "in" : "notin", values: [...new Set(e.values)].sort() });
        break;
      case "Exists":
      case "DoesNotExist":
        if (e.values.length > 0) throw new SelectorParseError(`values: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`);
        reqs.push({ key: e.key, operator: e.operator === "Exists" ? "exists" : "!", values: [] });
        break;
      default:
        throw new SelectorParseError(`"${e.operator}" is not a valid label selector operator`);
    }
  }
  return makeSelector(reqs);
}

/** The selector as a string (`app=web,tier in (a,b)`), as the Scale subresource's status.selector. */
export function selectorToString(sel: LabelSelector | undefined): string {
  if (!sel) return "";
  return selectorFromMessage(sel).toString();
}

/** Whether the labels match the LabelSelector message (absent or invalid: nothing matches). */
export function matchesSelector(sel: LabelSelector | undefined, labels: Readonly<Record<string, string>> | undefined): boolean {
  try {
    return selectorFromMessage(sel).matches(labels);
  } catch (err) {
    if (err instanceof SelectorParseError) return false;
    throw err;
  }
}
