// The intrusive wait list behaves like an array of its nodes: random sequences
// of push, shift, remove (of nodes in this list, in another list, or already
// detached), drain and unlink leave it in the same order and size as the
// model, and a detached node keeps no links. Prompted by the mutation run on
// src/channel/wait-list.ts (issue 14).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { unlink, WaitList, WaitNode } from "../src/channel/wait-list.js";

class Node extends WaitNode {
  constructor(readonly id: number) {
    super();
  }
}

type Op =
  | { readonly kind: "push"; readonly list: 0 | 1; readonly node: number }
  | { readonly kind: "shift"; readonly list: 0 | 1 }
  | { readonly kind: "remove"; readonly list: 0 | 1; readonly node: number }
  | { readonly kind: "unlink"; readonly node: number }
  | { readonly kind: "drain"; readonly list: 0 | 1 };

const NODES = 6;
const list01 = fc.constantFrom(0 as const, 1 as const);
const nodeId = fc.integer({ min: 0, max: NODES - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("push" as const), list: list01, node: nodeId }),
  fc.record({ kind: fc.constant("shift" as const), list: list01 }),
  fc.record({ kind: fc.constant("remove" as const), list: list01, node: nodeId }),
  fc.record({ kind: fc.constant("unlink" as const), node: nodeId }),
  fc.record({ kind: fc.constant("drain" as const), list: list01 }),
);

/** Walks the list backwards through `prev` from the last node `snapshot` reports. */
function backwards(nodes: readonly Node[]): number[] {
  const last = nodes.at(-1);
  const out: number[] = [];
  for (let node: WaitNode | null = last ?? null; node !== null; node = node.prev) out.push((node as Node).id);
  return out;
}

describe("WaitList against an array model", () => {
  it("keeps FIFO order, size and links through any sequence of operations", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const nodes = Array.from({ length: NODES }, (_, i) => new Node(i));
        const lists = [new WaitList<Node>(), new WaitList<Node>()] as const;
        const model: [number[], number[]] = [[], []];
        const where = (id: number): number => model.findIndex((m) => m.includes(id));
        for (const o of ops) {
          switch (o.kind) {
            case "push": {
              // A node sits in one list at a time: callers unlink before re-parking.
              if (where(o.node) >= 0) continue;
              lists[o.list].push(nodes[o.node] as Node);
              model[o.list].push(o.node);
              break;
            }
            case "shift": {
              const got = lists[o.list].shift();
              expect(got?.id).toBe(model[o.list].shift());
              break;
            }
            case "remove": {
              const inThis = model[o.list].indexOf(o.node);
              expect(lists[o.list].remove(nodes[o.node] as Node)).toBe(inThis >= 0);
              if (inThis >= 0) model[o.list].splice(inThis, 1);
              break;
            }
            case "unlink": {
              const at = where(o.node);
              unlink(nodes[o.node] as Node);
              if (at >= 0) model[at]?.splice(model[at].indexOf(o.node), 1);
              break;
            }
            case "drain": {
              expect(lists[o.list].drain().map((n) => n.id)).toEqual(model[o.list]);
              model[o.list] = [];
              break;
            }
          }
          for (const i of [0, 1] as const) {
            const snapshot = lists[i].snapshot();
            expect(snapshot.map((n) => n.id)).toEqual(model[i]);
            expect(backwards(snapshot)).toEqual([...model[i]].reverse());
            expect(lists[i].size).toBe(model[i].length);
            expect(lists[i].isEmpty).toBe(model[i].length === 0);
          }
          for (const node of nodes) {
            if (where(node.id) >= 0) continue;
            expect([node.list, node.prev, node.next]).toEqual([null, null, null]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("shift and drain on an empty list return nothing", () => {
    const list = new WaitList<Node>();
    expect(list.shift()).toBeUndefined();
    expect(list.drain()).toEqual([]);
    expect(list.snapshot()).toEqual([]);
    expect(list.isEmpty).toBe(true);
    expect(list.size).toBe(0);
  });
});
