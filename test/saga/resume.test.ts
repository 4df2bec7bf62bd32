/** Sagas across tabs: resume after a handle closed mid-step, one runner at a time, fencing, close. */
import { afterEach, describe, expect, it } from 'vitest'
import { DatabaseClosedError, type Database, type SagaContext } from '../../src/index.js'
import { fresh, settle } from '../node/helpers.js'
import { gate, stock, stockTable, until } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

const reserve = (ctx: SagaContext): Promise<number> =>
  ctx.transaction(async (t) => {
    const [r] = await t.read('stock', 'apple', 'write')
    const count = (r?.['count'] as number) - 1
    await t.write('stock', { sku: 'apple', count })
    return count
  })

describe('resume', () => {
  it('a handle closed mid-step settles at once; the next tab declaring the saga resumes it and the local effect happens once', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    await stockTable(a, 5)
    const entered = gate()
    const inA = a.saga('order', [
      {
        name: 'reserve',
        run: async (ctx) => {
          await reserve(ctx)
          entered.open()
          return new Promise<number>(() => undefined) // the remote call after it never answers
        },
      },
      { name: 'ship', run: () => 'shipped-a' },
    ], { leaseMs: 200 })
    const started = inA.start(null, { id: 'o1' }).catch((e: unknown) => e)
    await entered.promise
    const t0 = Date.now()
    await a.close()
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(await started).toBeInstanceOf(DatabaseClosedError)

    await settle(b)
    expect(await stock(b)).toBe(4)
    let rerunValue: unknown
    const inB = b.saga('order', [
      { name: 'reserve', run: async (ctx) => (rerunValue = await reserve(ctx)) },
      { name: 'ship', run: () => 'shipped-b' },
    ], { leaseMs: 200 })
    await until(async () => (await inB.status('o1'))?.status === 'completed')
    expect(rerunValue).toBe(4) // the journalled value: the transaction did not run again
    expect(await stock(b)).toBe(4)
    expect((await inB.status('o1'))?.results).toEqual({ reserve: 4, ship: 'shipped-b' })
    const kinds = (await inB.history('o1')).map((e) => e.kind)
    expect(kinds).toEqual(['step_started', 'resumed', 'step_started', 'step_succeeded', 'step_started', 'step_succeeded', 'completed'])
  })

  it('a step with a recorded outcome is never run again by the resuming tab', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    const runs: string[] = []
    const hang = gate()
    const steps = (tab: string) => [
      { name: 'one', run: () => void runs.push(`${tab}:one`) },
      { name: 'two', run: () => (runs.push(`${tab}:two`), tab === 'a' ? (hang.open(), new Promise(() => undefined)) : 2) },
      { name: 'three', run: () => void runs.push(`${tab}:three`) },
    ]
    void a.saga('s', steps('a'), { leaseMs: 100 }).start(null, { id: 'x' }).catch(() => undefined)
    await hang.promise
    await a.close()
    const sb = b.saga('s', steps('b'), { leaseMs: 100 })
    await until(async () => (await sb.status('x'))?.status === 'completed')
    expect(runs).toEqual(['a:one', 'a:two', 'b:two', 'b:three'])
  })

  it('a tab running a saga keeps it: another tab that declares it never runs it meanwhile', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    const running = new Map<string, number>()
    const runs: string[] = []
    let overlap = 0
    const steps = (tab: string) =>
      ['p', 'q'].map((name) => ({
        name,
        run: async (ctx: SagaContext) => {
          const n = (running.get(ctx.id) ?? 0) + 1
          running.set(ctx.id, n)
          if (n > 1) overlap++
          runs.push(`${tab}:${ctx.id}:${name}`)
          await new Promise((r) => setTimeout(r, 1500)) // longer than the lease: only renewals keep it
          running.set(ctx.id, (running.get(ctx.id) ?? 1) - 1)
          return name
        },
      }))
    const sa = a.saga('busy', steps('a'), { leaseMs: 1000 })
    b.saga('busy', steps('b'), { leaseMs: 1000 })
    const outs = await Promise.all([1, 2, 3, 4].map((i) => sa.start(null, { id: `k${String(i)}` })))
    expect(outs.every((o) => o.status === 'completed')).toBe(true)
    expect(overlap).toBe(0)
    expect(runs.filter((r) => r.startsWith('b:'))).toEqual([])
    expect(runs).toHaveLength(8)
  })

  it('a tab reloaded (closed and reopened) resumes its own saga', async () => {
    const [a] = (dbs = await fresh(1)) as [Database]
    const name = a.name
    const entered = gate()
    void a.saga('r', [{ name: 'x', run: () => (entered.open(), new Promise(() => undefined)) }], { leaseMs: 100 }).start(7, { id: 'r1' }).catch(() => undefined)
    await entered.promise
    await a.close()
    const { openDatabase } = await import('../../src/index.js')
    const again = await openDatabase({ name })
    dbs.push(again)
    const s = again.saga('r', [{ name: 'x', run: (_c, i: number) => i * 2 }], { leaseMs: 100 })
    await until(async () => (await s.status('r1'))?.status === 'completed')
    expect((await s.status('r1'))?.results).toEqual({ x: 14 })
  })
})

describe('fencing', () => {
  it('a deposed owner commits nothing and stops: its late outcome and its ctx.transaction are refused', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    await stockTable(a, 5)
    const inStep = gate()
    const resume = gate()
    let signalled = false
    let lateTx: unknown
    let secondRan = false
    const s = a.saga('fenced', [
      {
        name: 'pay',
        run: async (ctx) => {
          ctx.signal.addEventListener('abort', () => (signalled = true))
          inStep.open()
          await resume.promise
          lateTx = await reserve(ctx).catch((e: unknown) => e)
          return 'paid'
        },
      },
      { name: 'ship', run: () => void (secondRan = true) },
    ], { leaseMs: 80 })
    void s.start(null, { id: 'f1' }).catch(() => undefined)
    await inStep.promise
    // Another tab takes the saga (as it would once a frozen owner's lease ran out).
    await settle(b)
    await b.transaction(async (t) => {
      const [row] = await t.read('webnesia_saga', 'f1', 'write')
      await t.write('webnesia_saga', { ...row, owner: 'thief:1', lease: Date.now() + 60_000 })
    })
    await until(() => signalled) // the owner's heartbeat found out and abandoned the run
    resume.open(undefined)
    await until(() => lateTx !== undefined)
    expect(lateTx).toMatchObject({ code: 'aborted', reason: 'saga_deposed' })
    await new Promise((r) => setTimeout(r, 100))
    await settle(a)
    expect(await stock(a)).toBe(5)
    expect(secondRan).toBe(false)
    const st = await s.status('f1')
    expect(st).toMatchObject({ status: 'running', step: 'pay', results: {} })
    expect((await s.history('f1')).map((e) => e.kind)).toEqual(['step_started'])
  })
})

describe('close', () => {
  it('close settles promptly with many sagas mid-step and start() rejects with DatabaseClosedError', async () => {
    const [a] = (dbs = await fresh(1)) as [Database]
    const s = a.saga('many', [{ name: 'forever', run: () => new Promise(() => undefined) }])
    const started = Array.from({ length: 20 }, (_, i) => s.start(i))
    const settled = Promise.allSettled(started)
    await until(async () => (await s.list({ status: 'running' })).length === 20)
    const t0 = Date.now()
    await a.close()
    expect(Date.now() - t0).toBeLessThan(2000)
    for (const r of await settled) expect(r.status === 'rejected' && r.reason instanceof DatabaseClosedError).toBe(true)
    expect(() => a.saga('late', [{ name: 'x', run: () => 1 }])).toThrow(DatabaseClosedError)
  })
})
