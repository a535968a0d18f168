import assert from "node:assert/strict";
import { test } from "node:test";
import { matchesSelector, parseSelector, SelectorParseError, selectorFromMessage, selectorToString } from "@mk/proto";

test("equality, set and existence requirements", () => {
  const s = parseSelector("a=b,c!=d,e in (x,y),f notin (z),g,!h");
  assert.equal(s.requirements.length, 6);
  const ok = { a: "b", c: "q", e: "y", f: "w", g: "" };
  assert.equal(s.matches(ok), true);
  assert.equal(s.matches({ ...ok, a: "c" }), false);
  assert.equal(s.matches({ ...ok, c: "d" }), false);
  assert.equal(s.matches({ ...ok, e: "z" }), false);
  assert.equal(s.matches({ ...ok, f: "z" }), false);
  const { g: _g, ...noG } = ok;
  assert.equal(s.matches(noG), false);
  assert.equal(s.matches({ ...ok, h: "1" }), false);
});

test("== and whitespace", () => {
  const s = parseSelector(" app == web , tier in ( a , b ) ");
  assert.equal(s.matches({ app: "web", tier: "b" }), true);
  assert.equal(s.toString(), "app=web,tier in (a,b)");
});

test("empty selector matches everything", () => {
  assert.equal(parseSelector("").matches({}), true);
  assert.equal(parseSelector("").empty(), true);
});

test("bad selectors are rejected with the term", () => {
  assert.throws(() => parseSelector("a in ()"), SelectorParseError);
  assert.throws(() => parseSelector("a=b,,c"), SelectorParseError);
  assert.throws(() => parseSelector("a in (x"), SelectorParseError);
  assert.throws(() => parseSelector("-bad=1"), /invalid label key/);
  assert.throws(() => parseSelector("a=b c"), SelectorParseError);
});

test("LabelSelector message", () => {
  const msg = {
    matchLabels: { app: "web" },
    matchExpressions: [
      { key: "env", operator: "In", values: ["prod", "dev"] },
      { key: "legacy", operator: "DoesNotExist", values: [] },
    ],
  };
  assert.equal(selectorToString(msg), "app=web,env in (dev,prod),!legacy");
  assert.equal(matchesSelector(msg, { app: "web", env: "dev" }), true);
  assert.equal(matchesSelector(msg, { app: "web", env: "dev", legacy: "1" }), false);
  assert.equal(matchesSelector(undefined, { app: "web" }), false);
  assert.equal(selectorFromMessage({ matchLabels: {}, matchExpressions: [] }).matches({ x: "1" }), true);
  assert.throws(() => selectorFromMessage({ matchLabels: {}, matchExpressions: [{ key: "a", operator: "Near", values: [] }] }), /not a valid/);
});
