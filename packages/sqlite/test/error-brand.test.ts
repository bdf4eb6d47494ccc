import { ZsyncError } from "@zsync/runtime";
import { describe, expect, test } from "vitest";
import { assertBrandedClasses } from "../../../tools/test-support/error-brands.mjs";
import {
  ConnectionLostError,
  DatabaseClosedError,
  SqliteBindError,
  SqliteConstraintError,
  SqliteError,
  TransactionStateError,
} from "../src/index.js";

// Type level (checked by `typecheck`): `code` is a literal in every class, so
// a switch over a union of error classes narrows to the class in each case.
function describeError(error: SqliteConstraintError | ConnectionLostError | DatabaseClosedError): string {
  switch (error.code) {
    case "ZSYNC_SQLITE_CONSTRAINT":
      return error.sqliteCode; // only SqliteConstraintError has `sqliteCode`
    case "ZSYNC_SQLITE_CONNECTION_LOST":
      return error.role; // only ConnectionLostError has `role`
    case "ZSYNC_SQLITE_CLOSED":
      return "closed";
    // @ts-expect-error: not a code of any class in the union
    case "ZSYNC_SQLITE_BIND":
      return "impossible";
  }
}

const classes = [
  [SqliteError, new SqliteError("SQLITE_ERROR", "bad", "SELECT")],
  [SqliteConstraintError, new SqliteConstraintError("SQLITE_CONSTRAINT_UNIQUE", "dup", "INSERT")],
  [SqliteBindError, new SqliteBindError("SQLITE_RANGE", "count", "SELECT ?")],
  [DatabaseClosedError, new DatabaseClosedError()],
  [ConnectionLostError, new ConnectionLostError("writer", "gone")],
  [TransactionStateError, new TransactionStateError("done")],
] as const;

describe("sqlite errors", () => {
  test("a switch on code reaches the narrowed class's fields", () => {
    expect(describeError(new SqliteConstraintError("SQLITE_CONSTRAINT_UNIQUE", "dup", "INSERT"))).toBe("SQLITE_CONSTRAINT_UNIQUE");
    expect(describeError(new ConnectionLostError("reader", "gone"))).toBe("reader");
    expect(describeError(new DatabaseClosedError())).toBe("closed");
  });

  test("every class carries its own brand, so instanceof holds across installed copies of the package", () => {
    // SqliteConstraintError and SqliteBindError are SqliteErrors; no other listed class extends another.
    assertBrandedClasses("@zsync/sqlite", classes, { bases: [ZsyncError], parents: [SqliteError] });
  });
});
