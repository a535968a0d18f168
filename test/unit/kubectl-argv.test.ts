// mkctl's command line read as kubectl (cobra + pflag) reads it: every form becomes commander's one
// canonical form, and every mistake kubectl's message. Beside kubectl itself: test/integration/kubectl/flag-syntax.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgs } from "@mk/kubectl/argv.js";
import { expandCommand } from "@mk/kubectl/commands/index.js";
import { CliError } from "@mk/kubectl/cli-error.js";
import { parseDurationFlag, parseGoDuration } from "@mk/kubectl/duration.js";
import { buildProgram } from "@mk/kubectl/program.js";
import { RESOURCE_NAMES } from "@mk/kubectl/resource-names.js";
import { KIND_NAMES, KINDS } from "@mk/proto/api";

const canonical = async (...argv: string[]) => {
  const program = buildProgram();
  return (await parseArgs(program, argv, (cmd) => expandCommand(program, cmd))).canonical;
};

/** The line mkctl would print for argv, or undefined when it parses. */
async function failure(...argv: string[]): Promise<string> {
  try {
    await canonical(...argv);
  } catch (err) {
    assert.ok(err instanceof CliError, `a CliError, not ${String(err)}`);
    return err.line;
  }
  assert.fail(`${argv.join(" ")} parsed`);
}

test("a shorthand's value after '=': -o=yaml, -n=NS, -l=a=b (commander alone kept the '=')", async () => {
  assert.deepEqual(await canonical("get", "pods", "-o=yaml"), ["get", "--output=yaml", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-n=default"), ["get", "--namespace=default", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-l=app=web"), ["get", "--selector=app=web", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-lapp=web", "-ndev"), ["get", "--namespace=dev", "--selector=app=web", "--", "pods"]);
  assert.deepEqual(await canonical("get", "-o", "yaml", "pods"), ["get", "--output=yaml", "--", "pods"]);
  assert.deepEqual(await canonical("get", "--output", "-o", "pods"), ["get", "--output=-o", "--", "pods"], "a valued flag takes the next word, whatever it is");
});

test("booleans take =true/=false (strconv.ParseBool's words); =false means the negation or the default", async () => {
  assert.deepEqual(await canonical("get", "pods", "--all-namespaces=true"), ["get", "--all-namespaces", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "--all-namespaces=false"), ["get", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-A=T"), ["get", "--all-namespaces", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "--no-headers=false"), ["get", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "--no-headers=1"), ["get", "--no-headers", "--", "pods"]);
  assert.deepEqual(await canonical("rollout", "status", "deploy/web", "--watch=false"), ["rollout", "status", "--no-watch", "--", "deploy/web"]);
  assert.deepEqual(await canonical("rollout", "status", "deploy/web", "-w=false"), ["rollout", "status", "--no-watch", "--", "deploy/web"]);
  assert.deepEqual(await canonical("version", "--client=true"), ["version", "--client", "--"]);
  // A boolean never takes the next word: "true" here is a positional argument, as in kubectl.
  assert.deepEqual(await canonical("get", "-A", "true"), ["get", "--all-namespaces", "--", "true"]);
  assert.equal(
    await failure("get", "pods", "--all-namespaces=maybe"),
    `Error: invalid argument "maybe" for "-A, --all-namespaces" flag: strconv.ParseBool: parsing "maybe": invalid syntax\nSee 'mkctl get --help' for usage.`,
  );
});

test("combined shorthands: booleans, then one valued flag taking the rest of the word", async () => {
  assert.deepEqual(await canonical("get", "pods", "-Aw"), ["get", "--all-namespaces", "--watch", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-Aoyaml"), ["get", "--all-namespaces", "--output=yaml", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-Ao=yaml"), ["get", "--all-namespaces", "--output=yaml", "--", "pods"]);
  assert.deepEqual(await canonical("get", "pods", "-Ao", "wide"), ["get", "--all-namespaces", "--output=wide", "--", "pods"]);
  assert.deepEqual(await canonical("logs", "-fp", "web"), ["logs", "--follow", "--previous", "--", "web"]);
});

test("global flags anywhere, ahead of the command's own in canonical form; `--` ends the flags", async () => {
  assert.deepEqual(await canonical("-n=dev", "get", "pods"), ["get", "--namespace=dev", "--", "pods"]);
  assert.deepEqual(await canonical("get", "-o=name", "pods", "--request-timeout=1m30s", "-s=127.0.0.1:1"), [
    "get",
    "--request-timeout=1m30s",
    "--server=127.0.0.1:1",
    "--output=name",
    "--",
    "pods",
  ]);
  assert.deepEqual(await canonical("exec", "web", "-c", "app", "--", "ls", "-l", "--all"), ["exec", "--container=app", "--", "web", "ls", "-l", "--all"]);
  assert.deepEqual(await canonical("create", "deploy", "web", "--image=a", "--image", "b"), ["create", "deployment", "--image=a", "--image=b", "--", "web"]);
});

test("an optional value is only taken after '=': --dry-run server is the flag and an argument", async () => {
  assert.deepEqual(await canonical("apply", "--dry-run", "-f", "x.yaml"), ["apply", "--dry-run", "--filename=x.yaml", "--"]);
  assert.deepEqual(await canonical("apply", "--dry-run=server", "-f", "x.yaml"), ["apply", "--dry-run=server", "--filename=x.yaml", "--"]);
  assert.deepEqual(await canonical("delete", "pod", "web", "--wait=false"), ["delete", "--wait=false", "--", "pod", "web"]);
  assert.deepEqual(await canonical("delete", "--wait", "pod", "web"), ["delete", "--wait", "--", "pod", "web"]);
});

test("unknown flags, missing values and unknown commands in cobra's words", async () => {
  assert.equal(await failure("get", "pods", "--bogus"), "Error: unknown flag: --bogus\nSee 'mkctl get --help' for usage.");
  assert.equal(await failure("get", "pods", "--bogus=1"), "Error: unknown flag: --bogus\nSee 'mkctl get --help' for usage.");
  assert.equal(await failure("get", "pods", "-x"), "Error: unknown shorthand flag: 'x' in -x\nSee 'mkctl get --help' for usage.");
  assert.equal(await failure("get", "pods", "-Ax"), "Error: unknown shorthand flag: 'x' in -Ax\nSee 'mkctl get --help' for usage.");
  assert.equal(await failure("get", "pods", "-o"), "Error: flag needs an argument: 'o' in -o\nSee 'mkctl get --help' for usage.");
  assert.equal(await failure("get", "pods", "--output"), "Error: flag needs an argument: --output\nSee 'mkctl get --help' for usage.");
  assert.equal(await failure("rollout", "status", "--bogus"), "Error: unknown flag: --bogus\nSee 'mkctl rollout status --help' for usage.");
  assert.equal(await failure("create", "deploy", "web", "--bogus"), "Error: unknown flag: --bogus\nSee 'mkctl create deployment --help' for usage.");
  assert.equal(await failure("gte", "pods"), 'Error: unknown command "gte" for "mkctl"\n\nDid you mean this?\n\tget\n');
  assert.equal(await failure("zzzzz"), 'Error: unknown command "zzzzz" for "mkctl"');
  assert.equal(await failure("rollout", "statuss"), `error: unknown command "statuss"\nSee 'mkctl rollout -h' for help and examples`);
});

test("Go durations on every duration flag, checked while parsing", async () => {
  assert.deepEqual(await canonical("get", "pods", "--request-timeout", "1m30s"), ["get", "--request-timeout=1m30s", "--", "pods"]);
  assert.deepEqual(await canonical("delete", "pod", "x", "--timeout=500ms"), ["delete", "--timeout=500ms", "--", "pod", "x"]);
  assert.deepEqual(await canonical("logs", "web", "--since=1h2m3s"), ["logs", "--since=1h2m3s", "--", "web"]);
  assert.equal(
    await failure("get", "pods", "--request-timeout=1x"),
    `Error: invalid argument "1x" for "--request-timeout" flag: time: unknown unit "x" in duration "1x"\nSee 'mkctl get --help' for usage.`,
  );
  assert.equal(
    await failure("rollout", "status", "web", "--timeout", "soon"),
    `Error: invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"\nSee 'mkctl rollout status --help' for usage.`,
  );
  assert.deepEqual(await canonical("cluster", "up", "--timeout", "2m"), ["cluster", "up", "--timeout=2m", "--"]);
  assert.deepEqual(await canonical("cluster", "init", "--token-ttl=1h30m"), ["cluster", "init", "--token-ttl=1h30m", "--"]);
  assert.equal(
    await failure("cluster", "init", "--token-ttl=1y"),
    `Error: invalid argument "1y" for "--token-ttl" flag: time: unknown unit "y" in duration "1y"\nSee 'mkctl cluster init --help' for usage.`,
  );
  assert.equal(
    await failure("drain", "node-1", "--timeout=1.5"),
    `Error: invalid argument "1.5" for "--timeout" flag: time: missing unit in duration "1.5"\nSee 'mkctl drain --help' for usage.`,
  );
});

test("Go's ParseDuration: units, fractions, sums and signs; a bare integer is seconds", () => {
  assert.equal(parseGoDuration("1m30s"), 90_000);
  assert.equal(parseGoDuration("500ms"), 500);
  assert.equal(parseGoDuration("1.5h"), 5_400_000);
  assert.equal(parseGoDuration("2h45m"), 9_900_000);
  assert.equal(parseGoDuration(".5s"), 500);
  assert.equal(parseGoDuration("1500us"), 1.5);
  assert.equal(parseGoDuration("-1s"), -1000);
  assert.equal(parseGoDuration("0"), 0);
  assert.throws(() => parseGoDuration(""), /time: invalid duration ""/);
  assert.throws(() => parseGoDuration("5"), /time: missing unit in duration "5"/);
  assert.throws(() => parseGoDuration("1d"), /time: unknown unit "d" in duration "1d"/);
  assert.throws(() => parseGoDuration("m"), /time: invalid duration "m"/);
  assert.equal(parseDurationFlag("30"), 30_000);
  assert.equal(parseDurationFlag("1m30s"), 90_000);
});

test("completion's resource names are KINDS' plural, singular and short names, in order", () => {
  assert.deepEqual(
    RESOURCE_NAMES,
    KIND_NAMES.map((k) => [KINDS[k].plural, KINDS[k].singular, ...KINDS[k].shortNames]),
  );
});

test("help: -h, --help, --help=true and `mkctl help CMD` ask commander for the command's help", async () => {
  assert.deepEqual(await canonical("get", "-h"), ["get", "--help", "--"]);
  assert.deepEqual(await canonical("rollout", "status", "--help=true"), ["rollout", "status", "--help", "--"]);
  assert.deepEqual(await canonical("help", "get"), ["get", "--help", "--"]);
  assert.deepEqual(await canonical("get", "pods", "--help=false"), ["get", "--", "pods"]);
});
