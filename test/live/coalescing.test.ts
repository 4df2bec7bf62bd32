/**
 * The live query's scheduler (src/live/runner.ts, "Coalescing"), driven through its host seam
 * with a fake clock: a change re-runs on the next task while fewer than RUNS_PER_FRAME runs
 * started within the last FRAME_MS; past that, it waits for the frame, and a burst ends with one
 * run at the final state.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest'
import type { Applied } from '../../src/events/applied.js'
import { FRAME_MS, LiveRun, RUNS_PER_FRAME } from '../../src/live/runner.js'
import { ReadSet } from '../../src/txn/write-set.js'

beforeEach(() => {
  // Only the timers the frame wait uses and the clock: the next-task queue (setImmediate) stays real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

function fakeHost(): { q: LiveRun<number>; change: () => void; values: number[] } {
  let state = 0
  let lsn = 0
  const listeners = new Set<(a: Applied) => void>()
  const reads = new ReadSet()
  reads.tables.set('t', 0)
  const q = new LiveRun<number>({
    observe: () => Promise.resolve({ outcome: { ok: true, value: state }, reads, lsn }),
    onApplied: (fn) => {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  })
  const values: number[] = []
  q.subscribe({ next: (v) => values.push(v) })
  const change = (): void => {
    state++
    lsn++
    for (const fn of listeners) fn({ type: 'commit', lsn, touched: new Map([['t', 'table']]), schema: false })
  }
  return { q, change, values }
}

it(`up to ${String(RUNS_PER_FRAME)} runs per frame start at once; later changes wait for the frame, then one run`, async () => {
  expect(RUNS_PER_FRAME).toBeGreaterThan(1) // a second change within a frame is not delayed
  const { q, change, values } = fakeHost()
  await tick()
  await tick()
  expect(values).toEqual([0])
  // The clock stands still: every change below falls within one frame of the first run.
  for (let i = 1; i < RUNS_PER_FRAME; i++) {
    change()
    await tick()
    await tick()
    expect(values.at(-1)).toBe(i) // shown on the next task, no frame wait
  }
  expect(q.runs).toBe(RUNS_PER_FRAME)
  // The frame's budget is spent: a burst of changes waits …
  for (let i = 0; i < 10; i++) change()
  for (let i = 0; i < 5; i++) await tick()
  expect(q.runs).toBe(RUNS_PER_FRAME)
  // … and ends with one run at the final state once the frame is over.
  vi.advanceTimersByTime(FRAME_MS)
  await q.idle()
  expect(q.runs).toBe(RUNS_PER_FRAME + 1)
  expect(values.at(-1)).toBe(RUNS_PER_FRAME - 1 + 10)
})
