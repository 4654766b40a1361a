import { describe, expect, it } from "vitest";
import { EventQueue } from "../../src/queue/event-queue.js";

const ids = (items: { id: number }[]): number[] => items.map((item) => item.id);
const item = (id: number) => ({ id });

describe("EventQueue", () => {
  it("is FIFO across growth and wrap-around", () => {
    const queue = new EventQueue<{ id: number }>(5000, Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 1500; i++) queue.push(item(i), 10);
    expect(ids(queue.take(700))).toEqual(Array.from({ length: 700 }, (_, i) => i));
    for (let i = 1500; i < 3000; i++) queue.push(item(i), 10);
    const rest = queue.take(10_000);
    expect(ids(rest)).toEqual(Array.from({ length: 2300 }, (_, i) => 700 + i));
    expect(queue.size).toBe(0);
    expect(queue.bytes).toBe(0);
  });

  it("evicts the OLDEST events at the count limit and says how many", () => {
    const queue = new EventQueue<{ id: number }>(3, Number.MAX_SAFE_INTEGER);
    let evicted = 0;
    for (let i = 1; i <= 5; i++) evicted += queue.push(item(i), 1);
    expect(evicted).toBe(2);
    expect(ids(queue.take(10))).toEqual([3, 4, 5]);
  });

  it("evicts the oldest events past the byte limit", () => {
    const queue = new EventQueue<{ id: number }>(100, 250);
    let evicted = 0;
    for (let i = 1; i <= 4; i++) evicted += queue.push(item(i), 100);
    expect(evicted).toBe(2);
    expect(queue.bytes).toBe(200);
    expect(ids(queue.take(10))).toEqual([3, 4]);
  });

  it("requeues a batch at the front in its order", () => {
    const queue = new EventQueue<{ id: number }>(100, Number.MAX_SAFE_INTEGER);
    for (let i = 1; i <= 6; i++) queue.push(item(i), 1);
    const batch = queue.take(3);
    queue.push(item(7), 1);
    expect(queue.requeue(batch, () => 1)).toBe(0);
    expect(ids(queue.take(10))).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("requeue into a full queue drops the oldest, which are the requeued ones", () => {
    const queue = new EventQueue<{ id: number }>(4, Number.MAX_SAFE_INTEGER);
    for (let i = 1; i <= 4; i++) queue.push(item(i), 1);
    const batch = queue.take(2);
    queue.push(item(5), 1);
    expect(queue.requeue(batch, () => 1)).toBe(1);
    expect(ids(queue.take(10))).toEqual([2, 3, 4, 5]);
  });
});
