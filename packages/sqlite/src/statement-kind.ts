/**
 * Decides where a statement runs: statements that can only read go to the
 * reader connections, everything else to the single writer. The guess made
 * here from the leading keyword is only a routing hint: a reader connection
 * is opened read-only and checks SQLite's own verdict (`sqlite3_stmt_readonly`),
 * sending a writing statement back, after which it is remembered as a write.
 *
 * @example
 * ```ts
 * import { StatementKinds } from "./statement-kind.js";
 * const kinds = new StatementKinds();
 * kinds.isRead("SELECT * FROM t"); // true
 * kinds.isRead("  -- note\n INSERT INTO t VALUES (1)"); // false
 * ```
 * @module
 */

const READ_KEYWORD = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*(select|values|with|explain)\b/i;
const MAX_ENTRIES = 2048;

export class StatementKinds {
  #known = new Map<string, boolean>();

  /** Whether `sql` should be tried on a reader. */
  isRead(sql: string): boolean {
    const known = this.#known.get(sql);
    if (known !== undefined) return known;
    const read = READ_KEYWORD.test(sql);
    this.#remember(sql, read);
    return read;
  }

  /** Records that a reader found `sql` to write. */
  markWrite(sql: string): void {
    this.#remember(sql, false);
  }

  #remember(sql: string, read: boolean): void {
    if (this.#known.size >= MAX_ENTRIES) this.#known.clear();
    this.#known.set(sql, read);
  }
}
