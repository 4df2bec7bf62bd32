/**
 * dirtyUpdateCounter against Erlang/OTP 25's mnesia:dirty_update_counter (ram_copies table
 * `cnt` with attributes [k, v]; the answers quoted are what `erl` printed).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { WebnesiaError, type Database } from '../../src/index.js'
import { nextCounter } from '../../src/txn/counter.js'
import { fresh, settle } from '../node/helpers.js'

let dbs: Database[] = []
afterEach(async () => {
  await Promise.all(dbs.map((d) => d.close()))
  dbs = []
})

async function error(p: Promise<unknown>): Promise<WebnesiaError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(WebnesiaError)
  return e as WebnesiaError
}

describe('increments are integers (OTP: {aborted, {bad_type, cnt, 1.5}})', () => {
  it("1.5, NaN, Infinity, a string, 2^53 are 'bad_type' and change nothing, on every storage type", async () => {
    const [db, other] = (dbs = await fresh(2)) as [Database, Database]
    for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
      const t = `c_${storage}`
      await db.createTable(t, { attributes: ['k', 'v'], storage })
      await db.dirtyWrite(t, { k: 'a', v: 3 })
      const events: unknown[] = []
      const off = db.subscribe({ table: t }, (ev) => events.push(ev))
      for (const bad of [1.5, Number.NaN, Infinity, -Infinity, '1', null, 2 ** 53, -0.5, [1]]) {
        const e = await error(db.dirtyUpdateCounter(t, 'a', bad as number))
        expect(e.code).toBe('bad_type')
        const missing = await error(db.dirtyUpdateCounter(t, 'new', bad as number))
        expect(missing.code).toBe('bad_type')
      }
      off()
      expect(events).toEqual([])
      expect(await db.dirtyRead(t, 'a')).toEqual([{ k: 'a', v: 3 }])
      expect(await db.dirtyRead(t, 'new')).toEqual([])
      await settle(other)
      expect(await other.dirtyRead(t, 'a')).toEqual([{ k: 'a', v: 3 }])
    }
  })

  it('the increment is checked before the table, as OTP does ({bad_type, nosuch, 1.5} before no_exists)', async () => {
    const [db] = (dbs = await fresh()) as [Database]
    expect((await error(db.dirtyUpdateCounter('nosuch', 'a', 1.5))).code).toBe('bad_type')
    expect((await error(db.dirtyUpdateCounter('nosuch', 'a', 1))).code).toBe('no_exists')
  })

  it("a bag or a table without exactly 2 attributes is 'combine_error' (OTP: {combine_error, cntb, update_counter})", async () => {
    const [db] = (dbs = await fresh()) as [Database]
    await db.createTable('bag', { attributes: ['k', 'n'], type: 'bag' })
    await db.createTable('three', { attributes: ['k', 'n', 'x'] })
    for (const t of ['bag', 'three']) expect((await error(db.dirtyUpdateCounter(t, 1, 1))).code).toBe('combine_error')
  })
})

describe('stored values that are not non-negative integers follow OTP 25', () => {
  // erl: dirty_write({cnt, K, Stored}), dirty_update_counter(cnt, K, Incr) → printed value.
  const OTP: readonly [string, unknown, number, number][] = [
    ['missing -3', undefined, -3, 0], // {ok,0}, and read a: [{cnt,a,0}]
    ['missing 5', undefined, 5, 5], // {ok,5}
    ['0 -10', 0, -10, 0], // b -10: {ok,0}
    ["'ba' +0", 'ba', 0, 0], // str +0: {ok,0}
    ["'ba' +1", 'ba', 1, 1], // str +1: {ok,1}
    ['-2 +1', -2, 1, 1], // {ok,1}
    ['-2 +0', -2, 0, 0], // {ok,0}
    ['-5 +1', -5, 1, 1], // {ok,1}, read m3: [{cnt,m3,1}]
    ['1.5 +1', 1.5, 1, 1], // {ok,1}
    ['2.5 -5', 2.5, -5, 0], // {ok,0}
    ['7 -3', 7, -3, 4], // {ok,4}
    ['[1,2] +1', [1, 2], 1, 1], // list +1: {ok,1}
    ['null +2', null, 2, 2], // atom +2: {ok,2}
  ]

  it.each(OTP)('%s', (_name, stored, incr, want) => {
    expect(nextCounter('cnt', stored, incr)).toBe(want)
  })

  it('through dirtyUpdateCounter, on every storage type: the value returned is the value stored, in every tab', async () => {
    const [db, other] = (dbs = await fresh(2)) as [Database, Database]
    for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
      const t = `c_${storage}`
      await db.createTable(t, { attributes: ['k', 'v'], storage })
      for (const [name, stored, incr, want] of OTP) {
        if (stored !== undefined) await db.dirtyWrite(t, { k: name, v: stored })
        expect(await db.dirtyUpdateCounter(t, name, incr)).toBe(want)
        expect(await db.dirtyRead(t, name)).toEqual([{ k: name, v: want }])
      }
      await settle(other)
      for (const [name, , , want] of OTP) expect(await other.dirtyRead(t, name)).toEqual([{ k: name, v: want }])
    }
  })

  it("a result past 2^53 - 1 is refused with 'bad_type' (Erlang's integers are unbounded; ours would lose precision)", async () => {
    const [db] = (dbs = await fresh()) as [Database]
    await db.createTable('c', { attributes: ['k', 'v'] })
    await db.dirtyWrite('c', { k: 'big', v: Number.MAX_SAFE_INTEGER })
    expect((await error(db.dirtyUpdateCounter('c', 'big', 1))).code).toBe('bad_type')
    expect(await db.dirtyRead('c', 'big')).toEqual([{ k: 'big', v: Number.MAX_SAFE_INTEGER }])
    expect(await db.dirtyUpdateCounter('c', 'big', -1)).toBe(Number.MAX_SAFE_INTEGER - 1)
  })
})
