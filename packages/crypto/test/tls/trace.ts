/** Parses the TLS 1.3 example traces (draft-ietf-tls-tls13-vectors / RFC 8448) into steps with named hex fields. */
import { readFileSync } from "node:fs";

export interface TraceStep {
  readonly actor: "client" | "server";
  readonly title: string;
  readonly fields: ReadonlyMap<string, Uint8Array>;
}

// Sections 3 ("Simple 1-RTT Handshake") and 4 ("Resumed 0-RTT Handshake") of
// the TLS 1.3 example traces (RFC 8448 / draft-ietf-tls-tls13-vectors),
// kept verbatim as test data so the suite does not depend on files outside
// the repository.
const PATH = new URL("../vectors/tls13-traces.txt", import.meta.url);

/** Steps of the section whose heading starts with `heading` (e.g. "3.  Simple 1-RTT Handshake"). */
export function traceSection(heading: string): TraceStep[] {
  const lines = readFileSync(PATH, "utf8")
    .split("\n")
    .filter((l) => !/^(Thomson|Internet-Draft)\s/.test(l) && !l.startsWith("\f"));
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`no trace section ${heading}`);
  const end = lines.findIndex((l, i) => i > start && /^\d+\.\s/.test(l));
  const steps: { actor: "client" | "server"; title: string; fields: Map<string, Uint8Array> }[] = [];
  let field: { name: string; hex: string } | undefined;
  const flush = (): void => {
    const step = steps[steps.length - 1];
    if (field !== undefined && step !== undefined) step.fields.set(field.name, Uint8Array.from(Buffer.from(field.hex, "hex")));
    field = undefined;
  };
  for (const line of lines.slice(start, end < 0 ? undefined : end)) {
    const stepMatch = /^ {3}\{(client|server)\}\s+(.*?):?$/.exec(line);
    if (stepMatch !== null) {
      flush();
      steps.push({ actor: stepMatch[1] as "client" | "server", title: stepMatch[2] as string, fields: new Map() });
      continue;
    }
    const fieldMatch = /^ {6}(\S.*?) \((\d+) octets?\):\s*(.*)$/.exec(line);
    if (fieldMatch !== null) {
      flush();
      const rest = fieldMatch[3] as string;
      field = { name: fieldMatch[1] as string, hex: /^[0-9a-f ]*$/.test(rest) ? rest.replace(/ /g, "") : "" };
      continue;
    }
    if (field !== undefined && /^ {9}[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(line)) field.hex += line.trim().replace(/ /g, "");
    else if (line.trim() === "" || !/^ {9}/.test(line)) {
      // blank lines separate fields but do not end them; any other text ends the field
      if (line.trim() !== "") flush();
    }
  }
  flush();
  return steps;
}

/** The field `name` of the first step whose title starts with `title` for `actor` (after `skip` matches). */
export function field(steps: readonly TraceStep[], actor: "client" | "server", title: string, name: string, skip = 0): Uint8Array {
  const matches = steps.filter((s) => s.actor === actor && s.title.startsWith(title) && s.fields.has(name));
  const step = matches[skip];
  if (step === undefined) throw new Error(`trace has no ${actor} "${title}" with field ${name}`);
  return step.fields.get(name) as Uint8Array;
}
