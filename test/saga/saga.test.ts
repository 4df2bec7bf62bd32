/** Sagas: the happy path, the saga log, compensation order, retries, final errors, stuck. */
import { afterEach, describe, expect, it } from 'vitest'
import { SagaAbortError, SagaFailedError, type Database, type SagaContext, type SystemEvent } from '../../src/index.js'
import { backoffDelay } from '../../src/saga/definition.js'
import { fresh, settle } from '../node/helpers.js'
import { nextSystemEvent, stock, stockTable } from './helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

const fast = { backoff: { baseMs: 1, maxMs: 4 } }

describe('the happy path', () => {
  it('runs the steps in order, passes each the previous result, and resolves with every result', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    const seen: unknown[] = []
    const s = db.saga<{ n: number }>('calc', [
      { name: 'a', run: (_c, input, prev) => (seen.push(prev), input.n + 1) },
      { name: 'b', run: (_c, _i, prev) => (seen.push(prev), (prev as number) * 10) },
      { name: 'c', run: (ctx, _i, prev) => (seen.push(prev), { key: ctx.idempotencyKey, id: ctx.id, step: ctx.step }) },
    ])
    const out = await s.start({ n: 1 }, { id: 'o-1' })
    expect(out).toEqual({ id: 'o-1', status: 'completed', results: { a: 2, b: 20, c: { key: 'o-1:c', id: 'o-1', step: 'c' } } })
    expect(seen).toEqual([undefined, 2, 20])
    const st = await s.status('o-1')
    expect(st).toMatchObject({ id: 'o-1', name: 'calc', status: 'completed', step: 'c', results: out.results, input: { n: 1 } })
    expect(st?.error).toBeUndefined()
    const kinds = (await s.history('o-1')).map((e) => `${e.kind}:${e.step}`)
    expect(kinds).toEqual(['step_started:a', 'step_succeeded:a', 'step_started:b', 'step_succeeded:b', 'step_started:c', 'step_succeeded:c', 'completed:'])
    expect(await s.status('nope')).toBeUndefined()
  })

  it('keeps the saga log in localContent disc_copies tables and lists sagas by status', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    const s = db.saga('l', [{ name: 'only', run: (_c, i) => i }])
    await s.start(1, { id: 'x1' })
    await s.start(2, { id: 'x2' })
    const f = db.saga('f', [{ name: 'boom', run: () => Promise.reject(new SagaAbortError('no')) }])
    await expect(f.start(null, { id: 'y' })).rejects.toBeInstanceOf(SagaFailedError)
    expect(db.tableInfo('webnesia_saga', 'localContent')).toBe(true)
    expect(db.tableInfo('webnesia_saga', 'storageType')).toBe('disc_copies')
    expect((await s.list()).map((x) => x.id)).toEqual(['x1', 'x2'])
    expect(await s.list({ status: 'running' })).toEqual([])
    expect((await f.list({ status: 'compensated' })).map((x) => x.id)).toEqual(['y'])
    await expect(s.list({ status: 'done' as never })).rejects.toMatchObject({ code: 'badarg' })
  })

  it('starting an id that exists attaches to that saga instead of running it again', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    let runs = 0
    const s = db.saga('once', [{ name: 'a', run: () => ++runs }])
    const [x, y] = await Promise.all([s.start(null, { id: 'same' }), s.start(null, { id: 'same' })])
    expect(x).toEqual(y)
    expect(await s.start(null, { id: 'same' })).toEqual(x)
    expect(runs).toBe(1)
    const other = db.saga('other', [{ name: 'a', run: () => 0 }])
    await expect(other.start(null, { id: 'same' })).rejects.toMatchObject({ code: 'already_exists' })
  })
})

describe('compensation', () => {
  it('undoes the completed steps strictly in reverse order; the failed step and steps without compensate are not undone', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    const order: string[] = []
    const step = (name: string, undo = true) => ({
      name,
      run: () => (order.push(name), `r-${name}`),
      ...(undo ? { compensate: (ctx: SagaContext, _i: unknown, result: unknown) => void order.push(`undo-${name}:${String(result)}:${ctx.idempotencyKey}`) } : {}),
    })
    const s = db.saga('rev', [
      step('a'),
      step('b', false),
      step('c'),
      step('d'),
      { name: 'e', run: () => Promise.reject(new Error('e broke')), compensate: () => void order.push('undo-e') },
    ], { retries: 1, ...fast })
    const err = await s.start(null, { id: 'r' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SagaFailedError)
    expect(err).toMatchObject({ id: 'r', step: 'e', status: 'compensated', code: 'saga_failed' })
    expect((err as SagaFailedError).reason).toBeInstanceOf(Error)
    expect(order).toEqual(['a', 'b', 'c', 'd', 'undo-d:r-d:r:d:compensate', 'undo-c:r-c:r:c:compensate', 'undo-a:r-a:r:a:compensate'])
    const st = await s.status('r')
    expect(st).toMatchObject({ status: 'compensated', step: 'e', error: { step: 'e', reason: { name: 'Error', message: 'e broke' } } })
    const comp = (await s.history('r')).filter((e) => e.kind.startsWith('compensation')).map((e) => `${e.kind}:${e.step}`)
    expect(comp).toEqual([
      'compensation_started:d',
      'compensation_succeeded:d',
      'compensation_started:c',
      'compensation_succeeded:c',
      'compensation_started:a',
      'compensation_succeeded:a',
    ])
  })

  it('a failing first step ends compensated with nothing to undo', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    const s = db.saga('first', [{ name: 'a', run: () => { throw new SagaAbortError({ code: 42 }) }, compensate: () => { throw new Error('never') } }])
    await expect(s.start(null)).rejects.toMatchObject({ status: 'compensated', step: 'a', reason: { code: 42 } })
  })
})

describe('retries', () => {
  it('retries a throwing step with exponential backoff, ctx.attempt counting, the idempotency key stable', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    const at: number[] = []
    const keys = new Set<string>()
    const attempts: number[] = []
    const s = db.saga('flaky', [
      {
        name: 'pay',
        run: (ctx) => {
          at.push(Date.now())
          keys.add(ctx.idempotencyKey)
          attempts.push(ctx.attempt)
          if (at.length < 4) throw new Error(`down ${String(at.length)}`)
          return 'paid'
        },
      },
    ], { retries: 3, backoff: { baseMs: 40, maxMs: 1000 } })
    const out = await s.start(null, { id: 'f' })
    expect(out.results).toEqual({ pay: 'paid' })
    expect(attempts).toEqual([1, 2, 3, 4])
    expect([...keys]).toEqual(['f:pay'])
    // Delays 40, 80, 160 ms with equal jitter: at least half of each.
    const gaps = at.slice(1).map((t, i) => t - (at[i] as number))
    expect(gaps[0]).toBeGreaterThanOrEqual(19)
    expect(gaps[1]).toBeGreaterThanOrEqual(39)
    expect(gaps[2]).toBeGreaterThanOrEqual(79)
    const failed = (await s.history('f')).filter((e) => e.kind === 'step_failed').map((e) => [e.attempt, e.error])
    expect(failed).toEqual([
      [1, { name: 'Error', message: 'down 1' }],
      [2, { name: 'Error', message: 'down 2' }],
      [3, { name: 'Error', message: 'down 3' }],
    ])
  })

  it('the backoff doubles up to its maximum, jittered within the upper half', () => {
    const def = { baseMs: 100, maxMs: 1000 }
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(def, n, () => 1))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect([1, 2, 3].map((n) => backoffDelay(def, n, () => 0))).toEqual([50, 100, 200])
  })

  it('runs a step at most retries + 1 times, then compensates', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    let runs = 0
    let undone = 0
    const s = db.saga('out', [
      { name: 'a', run: () => 1, compensate: () => void undone++ },
      { name: 'b', run: () => { runs++; throw new Error('always') } },
    ], { retries: 2, ...fast })
    await expect(s.start(null)).rejects.toMatchObject({ status: 'compensated', step: 'b' })
    expect(runs).toBe(3)
    expect(undone).toBe(1)
  })

  it('a SagaAbortError, or an error retryable() refuses, is final: no retries', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    let runs = 0
    const s = db.saga('final', [{ name: 'a', run: () => { runs++; throw new SagaAbortError('declined') } }], { retries: 5, ...fast })
    const err = await s.start(null).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 'compensated', reason: 'declined' })
    expect(runs).toBe(1)
    let runs2 = 0
    class Declined extends Error {}
    const r = db.saga('final2', [{ name: 'a', run: () => { runs2++; throw runs2 === 1 ? new Error('transient') : new Declined('card') } }], {
      retries: 5,
      retryable: (e) => !(e instanceof Declined),
      ...fast,
    })
    await expect(r.start(null)).rejects.toMatchObject({ status: 'compensated' })
    expect(runs2).toBe(2)
  })

  it('a step that never settles times out (retryable) and the saga goes on', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    let runs = 0
    let aborted = 0
    const s = db.saga('hang', [
      { name: 'a', run: () => 'a', compensate: () => undefined },
      {
        name: 'pay',
        timeoutMs: 30,
        run: (ctx) => {
          runs++
          ctx.signal.addEventListener('abort', () => aborted++)
          return new Promise(() => undefined)
        },
      },
    ], { retries: 1, ...fast })
    const err = await s.start(null).catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 'compensated', step: 'pay', reason: { code: 'timeout' } })
    expect(runs).toBe(2)
    expect(aborted).toBe(2)
  })
})

describe('stuck', () => {
  it('a compensation out of retries leaves the saga stuck and emits saga_stuck in every tab', async () => {
    const [a, b] = (dbs = await fresh(2)) as [Database, Database]
    let undos = 0
    const s = a.saga('stuck', [
      { name: 'reserve', run: () => 1, compensate: () => { undos++; throw new Error('warehouse down') } },
      { name: 'pay', run: () => { throw new SagaAbortError('declined') } },
    ], { retries: 2, ...fast })
    const here = nextSystemEvent(a, (e) => e.type === 'saga_stuck')
    const there = nextSystemEvent(b, (e) => e.type === 'saga_stuck')
    const err = await s.start(null, { id: 'st' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SagaFailedError)
    expect(err).toMatchObject({ status: 'stuck', step: 'pay', reason: 'declined' })
    expect(undos).toBe(3)
    const want: SystemEvent = { type: 'saga_stuck', saga: 'stuck', id: 'st', step: 'reserve', reason: 'warehouse down' }
    expect(await here).toEqual(want)
    expect(await there).toEqual(want)
    expect(await s.status('st')).toMatchObject({ status: 'stuck', step: 'reserve', stuck: { step: 'reserve' }, error: { step: 'pay', reason: 'declined' } })
    const tail = (await s.history('st')).slice(-2).map((e) => e.kind)
    expect(tail).toEqual(['compensation_failed', 'stuck'])
  })
})

describe('local effects', () => {
  it('ctx.transaction commits a local effect exactly once across retries and hands back its journalled value', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    await stockTable(db, 10)
    let runs = 0
    let fnRuns = 0
    const values: unknown[] = []
    const s = db.saga('fx', [
      {
        name: 'reserve',
        run: async (ctx) => {
          runs++
          const left = await ctx.transaction(async (t) => {
            fnRuns++
            const [r] = await t.read('stock', 'apple', 'write')
            const count = (r?.['count'] as number) - 3
            await t.write('stock', { sku: 'apple', count })
            return count
          })
          values.push(left)
          if (runs < 3) throw new Error('the remote call after the local write failed')
          return left
        },
        compensate: (ctx) => ctx.transaction(async (t) => {
          const [r] = await t.read('stock', 'apple', 'write')
          await t.write('stock', { sku: 'apple', count: (r?.['count'] as number) + 3 })
        }),
      },
      { name: 'ship', run: () => 'shipped' },
    ], { retries: 3, ...fast })
    const out = await s.start(null)
    expect(out.results).toEqual({ reserve: 7, ship: 'shipped' })
    expect(runs).toBe(3)
    expect(fnRuns).toBe(1)
    expect(values).toEqual([7, 7, 7])
    expect(await stock(db)).toBe(7)
  })

  it('a compensation undoes a local effect exactly once', async () => {
    const [db] = (dbs = await fresh(1)) as [Database]
    await stockTable(db, 10)
    let compRuns = 0
    const s = db.saga('fx2', [
      {
        name: 'reserve',
        run: (ctx) => ctx.transaction(async (t) => {
          const [r] = await t.read('stock', 'apple', 'write')
          await t.write('stock', { sku: 'apple', count: (r?.['count'] as number) - 2 })
        }),
        compensate: async (ctx) => {
          compRuns++
          await ctx.transaction(async (t) => {
            const [r] = await t.read('stock', 'apple', 'write')
            await t.write('stock', { sku: 'apple', count: (r?.['count'] as number) + 2 })
          })
          if (compRuns === 1) throw new Error('flaky after the undo')
        },
      },
      { name: 'pay', run: () => { throw new SagaAbortError('declined') } },
    ], { retries: 2, ...fast })
    await expect(s.start(null)).rejects.toMatchObject({ status: 'compensated' })
    expect(compRuns).toBe(2)
    expect(await stock(db)).toBe(10)
  })

  it('a step whose ctx.transaction aborts writes nothing, and its error is the step failure', async () => {
    const [db, other] = (dbs = await fresh(2)) as [Database, Database]
    await stockTable(db, 1)
    const s = db.saga('fx3', [
      {
        name: 'reserve',
        run: (ctx) => ctx.transaction(async (t) => {
          await t.write('stock', { sku: 'apple', count: 0 })
          t.abort(new SagaAbortError('out of stock'))
        }),
      },
    ])
    await expect(s.start(null)).rejects.toMatchObject({ status: 'compensated', reason: 'out of stock' })
    await settle(other)
    expect(await stock(other)).toBe(1)
  })
})
