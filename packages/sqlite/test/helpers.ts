/** Temporary directories for database files, removed after each test file. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "zsync-sqlite-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let counter = 0;
export function tempDbPath(dir: string): string {
  return join(dir, `db-${process.pid}-${counter++}.sqlite`);
}
