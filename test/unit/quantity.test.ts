import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuMillis, formatCpu, formatMemory, isQuantity, memoryBytes, parseQuantity } from "@mk/proto";

test("cpu in millicores", () => {
  assert.equal(cpuMillis("100m"), 100);
  assert.equal(cpuMillis("1"), 1000);
  assert.equal(cpuMillis("1.5"), 1500);
  assert.equal(cpuMillis("0.1"), 100);
  assert.equal(cpuMillis("2500u"), 3);
});

test("memory in bytes", () => {
  assert.equal(memoryBytes("64Mi"), 64 * 1024 * 1024);
  assert.equal(memoryBytes("1G"), 1e9);
  assert.equal(memoryBytes("1e3"), 1000);
  assert.equal(memoryBytes("1Ki"), 1024);
  assert.equal(memoryBytes("128974848"), 128974848);
  assert.equal(memoryBytes("129e6"), 129e6);
});

test("formatting", () => {
  assert.equal(formatCpu(1500), "1500m");
  assert.equal(formatCpu(2000), "2");
  assert.equal(formatMemory(64 * 1024 * 1024), "64Mi");
  assert.equal(formatMemory(1000), "1000");
});

test("bad quantities", () => {
  for (const bad of ["", "abc", "1Mb", "1.2.3", "m", "1 Mi", "--1"]) {
    assert.equal(isQuantity(bad), false, bad);
  }
  assert.throws(() => parseQuantity("12x"), /quantities must match/);
});

test("a quantity beyond a double's range is out of range, not Infinity (found by the fuzzer)", () => {
  assert.throws(() => parseQuantity("1e400"), /out of range/);
  assert.throws(() => parseQuantity("1e309Ki"), /./);
  assert.equal(isQuantity("1e400"), false);
  assert.equal(parseQuantity("1e300"), 1e300);
});
