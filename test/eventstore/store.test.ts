/** The event store in one node: append, read, expectedVersion, typed errors, two tabs. */
import { afterEach, describe, expect, it } from 'vitest'
import { BadRecordError, WebnesiaError, WrongExpectedVersionError, type Database } from '../../src/index.js'
import { fresh, settle } from '../node/helpers.js'

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})
async function tabs(n = 1): Promise<Database[]> {
  const dbs = await fresh(n)
  open.push(...dbs)
  return dbs
}

describe('append and read', () => {
  it('appends atomically and reads back in order with versions 1..n and positions', async () => {
    const [db] = (await tabs()) as [Database]
    const es = db.eventStore()
    expect(await es.append('a-1', [{ type: 'Deposited', data: { amount: 10 } }], { expectedVersion: 0 })).toEqual({ version: 1, position: 1 })
    expect(await es.append('a-2', [{ type: 'Opened' }])).toEqual({ version: 1, position: 2 })
    expect(await es.append('a-1', [{ type: 'Deposited', data: { amount: 5 } }, { type: 'Withdrawn', data: { amount: 3 }, meta: { user: 'u' } }], { expectedVersion: 1 })).toEqual({ version: 3, position: 4 })
    const evs = await es.read('a-1')
    expect(evs.map((e) => [e.stream, e.version, e.position, e.type, e.data, e.meta])).toEqual([
      ['a-1', 1, 1, 'Deposited', { amount: 10 }, {}],
      ['a-1', 2, 3, 'Deposited', { amount: 5 }, {}],
      ['a-1', 3, 4, 'Withdrawn', { amount: 3 }, { user: 'u' }],
    ])
    expect(typeof evs[0]?.at).toBe('number')
    expect((await es.read('a-1', { fromVersion: 3 })).map((e) => e.version)).toEqual([3])
    expect((await es.read('a-1', { fromVersion: 2, limit: 1 })).map((e) => e.version)).toEqual([2])
    expect(await es.read('nobody')).toEqual([])
    expect((await es.read('a-2'))[0]).toMatchObject({ data: null, meta: {}, node: db.node })
  })

  it('expectedVersion: number, no_stream, stream_exists, any; a wrong one appends nothing', async () => {
    const [db] = (await tabs()) as [Database]
    const es = db.eventStore()
    await es.append('s', [{ type: 'A' }], { expectedVersion: 'no_stream' })
    const err = await es.append('s', [{ type: 'B' }], { expectedVersion: 'no_stream' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WrongExpectedVersionError)
    expect(err).toMatchObject({ code: 'wrong_expected_version', stream: 's', expected: 'no_stream', actual: 1 })
    await expect(es.append('s', [{ type: 'B' }], { expectedVersion: 0 })).rejects.toMatchObject({ code: 'wrong_expected_version', actual: 1 })
    await expect(es.append('s', [{ type: 'B' }], { expectedVersion: 2 })).rejects.toBeInstanceOf(WrongExpectedVersionError)
    await expect(es.append('t', [{ type: 'B' }], { expectedVersion: 'stream_exists' })).rejects.toBeInstanceOf(WrongExpectedVersionError)
    expect((await es.read('s')).map((e) => e.type)).toEqual(['A'])
    expect(await es.append('s', [{ type: 'B' }], { expectedVersion: 'stream_exists' })).toMatchObject({ version: 2 })
    expect(await es.append('s', [{ type: 'C' }])).toMatchObject({ version: 3 })
    expect(await es.append('s', [], { expectedVersion: 3 })).toEqual({ version: 3, position: 3 })
    expect(await es.read('t')).toEqual([])
  })

  it('bad arguments are typed errors and write nothing', async () => {
    const [db] = (await tabs()) as [Database]
    const es = db.eventStore()
    const bad = [
      () => es.append('', [{ type: 'A' }]),
      () => es.append(7 as unknown as string, [{ type: 'A' }]),
      () => es.append('s', 'x' as unknown as []),
      () => es.append('s', [{ type: '' }]),
      () => es.append('s', [{ type: 'A', extra: 1 } as unknown as { type: string }]),
      () => es.append('s', [null as unknown as { type: string }]),
      () => es.append('s', [{ type: 'A' }], { expectedVersion: -1 }),
      () => es.append('s', [{ type: 'A' }], { expectedVersion: 1.5 }),
      () => es.append('s', [{ type: 'A' }], { expectedVersion: 'x' as 'any' }),
      () => es.read('s', { fromVersion: 0 }),
      () => es.read(''),
    ]
    for (const f of bad) await expect(f()).rejects.toMatchObject({ code: 'badarg' })
    for (const f of bad) await expect(f()).rejects.toBeInstanceOf(WebnesiaError)
    await expect(es.append('s', [{ type: 'A' }, { type: 'B', data: { f: () => 1 } }])).rejects.toBeInstanceOf(BadRecordError)
    expect(() => es.subscribe({ from: 'later' as 'origin' }, () => undefined)).toThrow(WebnesiaError)
    expect(() => es.subscribe({ from: 'origin' }, 7 as unknown as () => void)).toThrow(WebnesiaError)
    expect(await es.read('s')).toEqual([])
    expect(await es.append('s', [{ type: 'A' }])).toEqual({ version: 1, position: 1 })
  })

  it('events survive a reload', async () => {
    const [a] = (await tabs()) as [Database]
    await a.eventStore().append('s', [{ type: 'A', data: { d: new Date(5) } }, { type: 'B' }])
    const { openDatabase } = await import('../../src/index.js')
    await a.close()
    open.splice(open.indexOf(a), 1)
    const again = await openDatabase({ name: a.name })
    open.push(again)
    const evs = await again.eventStore().read('s')
    expect(evs.map((e) => [e.type, e.version, e.position])).toEqual([['A', 1, 1], ['B', 2, 2]])
    expect(evs[0]?.data).toEqual({ d: new Date(5) })
  })
})

describe('two tabs', () => {
  it('concurrent appends with the same expectedVersion: exactly one wins, the other is WrongExpectedVersionError', async () => {
    const [a, b] = (await tabs(2)) as [Database, Database]
    await a.eventStore().append('s', [{ type: 'Init' }])
    for (let round = 1; round <= 10; round++) {
      const rs = await Promise.allSettled([
        a.eventStore().append('s', [{ type: 'A', data: round }], { expectedVersion: round }),
        b.eventStore().append('s', [{ type: 'B', data: round }], { expectedVersion: round }),
      ])
      const ok = rs.filter((r) => r.status === 'fulfilled')
      const failed = rs.filter((r) => r.status === 'rejected')
      expect(ok).toHaveLength(1)
      expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError)
    }
    await settle(a, b)
    for (const db of [a, b]) {
      const evs = await db.eventStore().read('s')
      expect(evs.map((e) => e.version)).toEqual([...Array(11).keys()].map((i) => i + 1))
      expect(evs.slice(1).map((e) => e.data)).toEqual([...Array(10).keys()].map((i) => i + 1))
    }
  })

  it("concurrent 'any' appends from two tabs are all kept, gap-free, in one order everywhere", async () => {
    const [a, b] = (await tabs(2)) as [Database, Database]
    const jobs: Promise<unknown>[] = []
    for (let i = 0; i < 30; i++) {
      jobs.push(a.eventStore().append('s', [{ type: 'A', data: i }]))
      jobs.push(b.eventStore().append('s', [{ type: 'B', data: i }, { type: 'B2', data: i }]))
      jobs.push(a.eventStore().append(`other-${String(i % 3)}`, [{ type: 'O' }]))
    }
    await Promise.all(jobs)
    await settle(a, b)
    const ra = await a.eventStore().read('s')
    const rb = await b.eventStore().read('s')
    expect(ra.map((e) => e.version)).toEqual([...Array(90).keys()].map((i) => i + 1))
    expect(rb).toEqual(ra)
    // The two events of one append are adjacent.
    for (let i = 0; i < ra.length; i++) if (ra[i]?.type === 'B') expect(ra[i + 1]).toMatchObject({ type: 'B2', data: ra[i]?.data })
    // Positions are 1..n across all streams with no gap or duplicate.
    const all = [...ra, ...(await a.eventStore().read('other-0')), ...(await a.eventStore().read('other-1')), ...(await a.eventStore().read('other-2'))]
    expect(all.map((e) => e.position).sort((x, y) => x - y)).toEqual([...Array(120).keys()].map((i) => i + 1))
  })
})
