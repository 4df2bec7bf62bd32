/** Sagas: a bad definition, bad options or a bad input is a typed error, and nothing is written. */
import { afterEach, expect, it } from 'vitest'
import { BadRecordError, BadSagaError, type WebnesiaError, type Database, type SagaStep } from '../../src/index.js'
import { fresh } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

const ok: SagaStep = { name: 'a', run: () => 1 }

it('rejects malformed definitions and options with BadSagaError, creating nothing', async () => {
  const [db] = (dbs = await fresh(1)) as [Database]
  const bad: [string, () => unknown][] = [
    ['empty name', () => db.saga('', [ok])],
    ['name not a string', () => db.saga(3 as never, [ok])],
    ['no steps', () => db.saga('s', [])],
    ['steps not an array', () => db.saga('s', {} as never)],
    ['step not an object', () => db.saga('s', [null as never])],
    ['empty step name', () => db.saga('s', [{ name: '', run: () => 1 }])],
    ['duplicate step names', () => db.saga('s', [ok, { name: 'a', run: () => 2 }])],
    ['__proto__ step', () => db.saga('s', [{ name: '__proto__', run: () => 2 }])],
    ['missing run', () => db.saga('s', [{ name: 'a' } as never])],
    ['run not a function', () => db.saga('s', [{ name: 'a', run: 1 } as never])],
    ['compensate not a function', () => db.saga('s', [{ name: 'a', run: () => 1, compensate: 'undo' } as never])],
    ['misspelt compensate', () => db.saga('s', [{ name: 'a', run: () => 1, compensation: () => 1 } as never])],
    ['bad timeoutMs', () => db.saga('s', [{ name: 'a', run: () => 1, timeoutMs: -1 }])],
    ['options not an object', () => db.saga('s', [ok], 3 as never)],
    ['unknown option', () => db.saga('s', [ok], { retry: 3 } as never)],
    ['negative retries', () => db.saga('s', [ok], { retries: -1 })],
    ['fractional retries', () => db.saga('s', [ok], { retries: 1.5 })],
    ['NaN backoff', () => db.saga('s', [ok], { backoff: { baseMs: NaN } })],
    ['max below base', () => db.saga('s', [ok], { backoff: { baseMs: 100, maxMs: 10 } })],
    ['unknown backoff key', () => db.saga('s', [ok], { backoff: { base: 1 } as never })],
    ['retryable not a function', () => db.saga('s', [ok], { retryable: true as never })],
    ['infinite lease', () => db.saga('s', [ok], { leaseMs: Infinity })],
    ['tiny lease', () => db.saga('s', [ok], { leaseMs: 5 })],
    ['zero step timeout', () => db.saga('s', [ok], { stepTimeoutMs: 0 })],
  ]
  for (const [what, fn] of bad) {
    let err: unknown
    try {
      fn()
    } catch (e) {
      err = e
    }
    expect(err, what).toBeInstanceOf(BadSagaError)
    expect((err as WebnesiaError).code, what).toBe('badarg')
  }
  expect(db.systemInfo('tables')).not.toContain('webnesia_saga')
  // The name is not taken by a failed declaration; declaring it twice in one tab is refused.
  db.saga('s', [ok])
  expect(() => db.saga('s', [ok])).toThrow(expect.objectContaining({ code: 'already_exists' }) as Error)
})

it('rejects a bad input or bad start options, writing nothing', async () => {
  const [db] = (dbs = await fresh(1)) as [Database]
  let runs = 0
  const s = db.saga('in', [{ name: 'a', run: () => ++runs }])
  class Thing {}
  for (const input of [() => 1, new Thing(), { when: new Map() }, [1, undefined], Symbol('x'), 10n]) {
    await expect(s.start(input), String(typeof input)).rejects.toBeInstanceOf(BadRecordError)
  }
  await expect(s.start(1, { id: '' })).rejects.toBeInstanceOf(BadSagaError)
  await expect(s.start(1, { id: 7 as never })).rejects.toBeInstanceOf(BadSagaError)
  await expect(s.start(1, { ID: 'x' } as never)).rejects.toBeInstanceOf(BadSagaError)
  await expect(s.start(1, null as never)).rejects.toBeInstanceOf(BadSagaError)
  await expect(s.status(1 as never)).rejects.toBeInstanceOf(BadSagaError)
  expect(await s.list()).toEqual([])
  expect(runs).toBe(0)
  // Values that are webnesia values go through, undefined included.
  expect((await s.start({ at: new Date(0), bytes: new Uint8Array([1]), n: null })).status).toBe('completed')
  expect((await s.start(undefined)).status).toBe('completed')
})

it('a step result that cannot be stored is a final failure of that step', async () => {
  const [db] = (dbs = await fresh(1)) as [Database]
  let runs = 0
  let undone = 0
  const s = db.saga('res', [
    { name: 'a', run: () => 'fine', compensate: () => void undone++ },
    { name: 'b', run: () => (runs++, () => 'a function') },
  ], { retries: 3 })
  const err = await s.start(null).catch((e: unknown) => e)
  expect(err).toMatchObject({ status: 'compensated', step: 'b' })
  expect((err as { reason: unknown }).reason).toBeInstanceOf(BadRecordError)
  expect(runs).toBe(1)
  expect(undone).toBe(1)
})
