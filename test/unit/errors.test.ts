// Typed API errors: each carries its Kubernetes reason and HTTP status, and crosses the gRPC edge
// (toServiceError on the server, fromServiceError on the client) as the same class.
import assert from "node:assert/strict";
import { test } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  AlreadyExistsError,
  ApiError,
  BadRequestError,
  ConflictError,
  ExpiredError,
  ForbiddenError,
  fromServiceError,
  GoneError,
  InternalError,
  InvalidError,
  NotFoundError,
  PreconditionFailedError,
  toServiceError,
  TooManyRequestsError,
  UnauthorizedError,
} from "@mk/proto/client";

const roundTrip = (err: ApiError) => fromServiceError(toServiceError(err));

test("every error carries its Kubernetes reason and HTTP status, and crosses gRPC as the same class and message", () => {
  const cases: [ApiError, string, number][] = [
    [new NotFoundError('pods "x" not found'), "NotFound", 404],
    [new AlreadyExistsError('pods "x" already exists'), "AlreadyExists", 409],
    [new ConflictError("the object has been modified"), "Conflict", 409],
    [new PreconditionFailedError("Precondition failed: UID in precondition: a, UID in object meta: b"), "Conflict", 409],
    [new InvalidError("spec: Required value", [{ field: "spec", type: "Required", detail: "" }]), "Invalid", 422],
    [new ForbiddenError("Forbidden: no"), "Forbidden", 403],
    [new UnauthorizedError("Unauthorized"), "Unauthorized", 401],
    [new ExpiredError("too old resource version"), "Expired", 410],
    [new GoneError("gone"), "Gone", 410],
    [new TooManyRequestsError("slow down"), "TooManyRequests", 429],
    [new BadRequestError("bad"), "BadRequest", 400],
  ];
  for (const [err, reason, http] of cases) {
    assert.equal(err.reason, reason, err.name);
    assert.equal(err.httpStatus, http, err.name);
    const back = roundTrip(err);
    assert.ok(back instanceof ApiError, err.name);
    assert.equal(back.constructor, err.constructor, `${err.name} comes back as ${back.constructor.name}`);
    assert.equal(back.message, err.message);
    assert.equal(back.code, err.code);
  }
});

test("a failed precondition stays ABORTED on the wire and is a Conflict to clients that retry conflicts", () => {
  const wire = toServiceError(new PreconditionFailedError("Precondition failed: UID in precondition: a, UID in object meta: b"));
  assert.equal(wire.code, status.ABORTED);
  assert.equal(wire.details, "Precondition failed: UID in precondition: a, UID in object meta: b");
  const back = fromServiceError(wire);
  assert.ok(back instanceof PreconditionFailedError);
  assert.ok(back instanceof ConflictError);
});

test("gRPC's own RESOURCE_EXHAUSTED (no server reason) is not taken for TooManyRequests", () => {
  const back = fromServiceError({ code: status.RESOURCE_EXHAUSTED, details: "Received message larger than max", message: "", name: "Error" });
  assert.ok(back instanceof InternalError);
  assert.equal((back as InternalError).retryable, false);
});
