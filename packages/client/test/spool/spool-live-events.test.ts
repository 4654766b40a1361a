import { describe, expect, it } from "vitest";
import { LiveEvents } from "../../src/spool/spool-live-events.js";

/** A plain model of the same rules: one entry per add, a delete takes the oldest of its id. */
class Model {
  entries: { id: string; bytes: number }[] = [];
  add(id: string, bytes: number): void {
    this.entries.push({ id, bytes });
  }
  delete(id: string): boolean {
    const at = this.entries.findIndex((entry) => entry.id === id);
    if (at === -1) return false;
    this.entries.splice(at, 1);
    return true;
  }
  get bytes(): number {
    return this.entries.reduce((sum, entry) => sum + entry.bytes, 0);
  }
}

function expectSame(live: LiveEvents, model: Model): void {
  expect(live.count).toBe(model.entries.length);
  expect(live.bytes).toBe(model.bytes);
}

describe("LiveEvents", () => {
  it("deletes in the order of appending, and counts what is left", () => {
    const live = new LiveEvents();
    for (let i = 0; i < 10; i++) live.add(`e${i}`, 100 + i);
    expect(live.delete("e0")).toBe(true);
    expect(live.delete("e1")).toBe(true);
    expect(live.count).toBe(8);
    expect(live.bytes).toBe(1045 - 201);
    expect(live.has("e0")).toBe(false);
    expect(live.has("e5")).toBe(true);
  });

  it("finds entries far from the front, ignores unknown and repeated ids, and empties to zero", () => {
    const live = new LiveEvents();
    const model = new Model();
    for (let i = 0; i < 5000; i++) {
      live.add(`e${i}`, i % 7);
      model.add(`e${i}`, i % 7);
    }
    for (const id of ["e4999", "nope", "e2500", "e2500", "e0", "e3"]) expect(live.delete(id)).toBe(model.delete(id));
    expectSame(live, model);
    for (let i = 0; i < 5000; i++) expect(live.delete(`e${i}`)).toBe(model.delete(`e${i}`));
    expectSame(live, model);
    expect(live.count).toBe(0);
    live.add("again", 9);
    expect(live.has("again")).toBe(true);
    expect(live.bytes).toBe(9);
  });

  it("matches the model under random appends, duplicates and deletes (front, middle, unknown)", () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const live = new LiveEvents();
    const model = new Model();
    let next = 0;
    for (let step = 0; step < 40_000; step++) {
      const roll = random(100);
      if (roll < 55) {
        // A new id, now and then one appended before (an event tracked twice).
        const id = roll < 3 && next > 0 ? `e${random(next)}` : `e${next++}`;
        const bytes = 1 + random(300);
        live.add(id, bytes);
        model.add(id, bytes);
      } else {
        const front = model.entries[random(Math.min(model.entries.length, 3) + 1)]?.id;
        const id = roll < 95 && front !== undefined ? front : roll < 98 ? `e${random(next + 1)}` : "unknown";
        expect(live.delete(id)).toBe(model.delete(id));
      }
      if (step % 997 === 0) {
        expectSame(live, model);
        const probe = `e${random(next + 1)}`;
        expect(live.has(probe)).toBe(model.entries.some((entry) => entry.id === probe));
      }
    }
    expectSame(live, model);
  });
});
