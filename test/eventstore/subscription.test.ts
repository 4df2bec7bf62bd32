/** Catch-up subscriptions: from origin / current / a position, live, once each, in every tab, retried handlers. */
import { afterEach, expect, it } from 'vitest'
import type { Database, RecordedEvent } from '../../src/index.js'
import { fresh } from '../node/helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})
async function tabs(n = 1): Promise<Database[]> {
  const dbs = await fresh(n)
  open.push(...dbs)
  return dbs
}

/** Collects delivered events; `until(n)` resolves once n have arrived. */
function collector(): { seen: RecordedEvent[]; handler: (e: RecordedEvent) => void; until: (n: number) => Promise<void> } {
  const seen: RecordedEvent[] = []
  let waiters: { n: number; resolve: () => void }[] = []
  return {
    seen,
    handler: (e) => {
      seen.push(e)
      for (const w of waiters) if (seen.length >= w.n) w.resolve()
      waiters = waiters.filter((w) => seen.length < w.n)
    },
    until: (n) => (seen.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  }
}

it('catch-up from the origin, then live, in position order, once each; in every tab', async () => {
  const [a, b] = (await tabs(2)) as [Database, Database]
  const es = a.eventStore()
  await es.append('x', [{ type: 'A1' }, { type: 'A2' }])
  await es.append('y', [{ type: 'B1' }])
  const ca = collector()
  const cb = collector()
  const offA = es.subscribe({ from: 'origin' }, ca.handler)
  const offB = b.eventStore().subscribe({ from: 'origin' }, cb.handler)
  await ca.until(3)
  await b.eventStore().append('x', [{ type: 'A3' }])
  await a.eventStore().append('y', [{ type: 'B2' }])
  await ca.until(5)
  await cb.until(5)
  for (const c of [ca, cb]) {
    expect(c.seen.map((e) => [e.position, e.type])).toEqual([[1, 'A1'], [2, 'A2'], [3, 'B1'], [4, 'A3'], [5, 'B2']])
  }
  offA()
  offB()
})

it("from 'current' sees only later events; from a position sees those after it; stream filters", async () => {
  const [db] = (await tabs()) as [Database]
  const es = db.eventStore()
  await es.append('x', [{ type: 'old' }])
  const cur = collector()
  const pos = collector()
  const str = collector()
  es.subscribe({ from: 'current' }, cur.handler)
  await es.append('y', [{ type: 'new1' }])
  await es.append('x', [{ type: 'new2' }])
  es.subscribe({ from: 1 }, pos.handler)
  es.subscribe({ from: 'origin', stream: 'x' }, str.handler)
  await es.append('x', [{ type: 'new3' }])
  await cur.until(3)
  await pos.until(3)
  await str.until(3)
  expect(cur.seen.map((e) => e.type)).toEqual(['new1', 'new2', 'new3'])
  expect(pos.seen.map((e) => e.type)).toEqual(['new1', 'new2', 'new3'])
  expect(str.seen.map((e) => [e.type, e.version])).toEqual([['old', 1], ['new2', 2], ['new3', 3]])
})

it('a throwing handler is retried with the same event and nothing is skipped; off() stops delivery', async () => {
  const [db] = (await tabs()) as [Database]
  const es = db.eventStore()
  await es.append('s', [{ type: 'E1' }, { type: 'E2' }, { type: 'E3' }])
  const calls: string[] = []
  const errors: number[] = []
  const c = collector()
  let failures = 0
  const off = es.subscribe(
    { from: 'origin', onError: (_e, ev, attempt) => errors.push(ev.position * 10 + attempt) },
    async (ev) => {
      calls.push(ev.type)
      await Promise.resolve()
      if (ev.type === 'E2' && failures < 3) {
        failures++
        throw new Error('not now')
      }
      c.handler(ev)
    },
  )
  await c.until(3)
  expect(calls).toEqual(['E1', 'E2', 'E2', 'E2', 'E2', 'E3'])
  expect(c.seen.map((e) => e.type)).toEqual(['E1', 'E2', 'E3'])
  expect(errors).toEqual([21, 22, 23])
  off()
  await es.append('s', [{ type: 'E4' }])
  const later = collector()
  es.subscribe({ from: 3 }, later.handler)
  await later.until(1)
  expect(c.seen).toHaveLength(3)
})

it('handlers run one at a time, in order, even when async', async () => {
  const [db] = (await tabs()) as [Database]
  const es = db.eventStore()
  for (let i = 0; i < 20; i++) await es.append(`s${String(i % 4)}`, [{ type: 'E', data: i }])
  let running = 0
  let maxRunning = 0
  const c = collector()
  es.subscribe({ from: 'origin', batchSize: 3 }, async (ev) => {
    running++
    maxRunning = Math.max(maxRunning, running)
    await new Promise((r) => setTimeout(r, 0))
    running--
    c.handler(ev)
  })
  await c.until(20)
  expect(maxRunning).toBe(1)
  expect(c.seen.map((e) => e.data)).toEqual([...Array(20).keys()])
})
