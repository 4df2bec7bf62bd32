/** Bad input gets its typed error and changes nothing; records handed out cannot corrupt a table. */
import { afterEach, describe, expect, it } from 'vitest'
import { BadKeyError, BadRecordError, TransactionAbortedError, WebnesiaError, type Database } from '../../src/index.js'
import { fresh } from './helpers.js'

let db: Database
afterEach(async () => {
  await db.close()
})

async function table(storage: 'ram_copies' | 'disc_copies' | 'disc_only_copies' = 'disc_copies'): Promise<void> {
  db = (await fresh())[0] as Database
  await db.createTable('t', { attributes: ['k', 'v'], storage })
  await db.dirtyWrite('t', { k: 1, v: 'one' })
}

class Point {
  constructor(readonly x: number) {}
}
const BAD_KEYS: [string, unknown][] = [
  ['NaN', NaN],
  ['invalid Date', new Date(NaN)],
  ['boolean', true],
  ['null', null],
  ['object', { a: 1 }],
  ['array holding an object', [1, {}]],
  ['symbol', Symbol('k')],
  ['function', () => 1],
]
const BAD_VALUES: [string, unknown][] = [
  ['function', () => 1],
  ['class instance', new Point(1)],
  ['symbol', Symbol('v')],
  ['Map', new Map()],
  ['nested function', { deep: [1, { f: () => 2 }] }],
  ['bigint', 10n],
]

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  describe(`bad input on ${storage}`, () => {
    it.each(BAD_KEYS)('a %s key is a BadKeyError in dirtyWrite, dirtyRead and a transaction; nothing changes', async (_l, key) => {
      await table(storage)
      await expect(db.dirtyWrite('t', { k: key, v: 1 })).rejects.toBeInstanceOf(BadKeyError)
      await expect(db.dirtyRead('t', key as number)).rejects.toBeInstanceOf(BadKeyError)
      await expect(db.dirtyDelete('t', key as number)).rejects.toBeInstanceOf(BadKeyError)
      const err = await db.transaction((t) => t.write('t', { k: key, v: 1 })).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(TransactionAbortedError)
      expect((err as TransactionAbortedError).reason).toBeInstanceOf(BadKeyError)
      expect((err as TransactionAbortedError).reason).toHaveProperty('code', 'bad_key')
      expect(db.tableInfo('t', 'size')).toBe(1)
      expect(await db.dirtyMatchObject('t', {})).toEqual([{ k: 1, v: 'one' }])
    })

    it.each(BAD_VALUES)('a %s value is a BadRecordError; nothing changes', async (_l, v) => {
      await table(storage)
      await expect(db.dirtyWrite('t', { k: 2, v })).rejects.toBeInstanceOf(BadRecordError)
      const err = await db
        .transaction(async (t) => {
          await t.write('t', { k: 3, v: 'fine' })
          await t.write('t', { k: 2, v })
        })
        .catch((e: unknown) => e)
      expect((err as TransactionAbortedError).reason).toBeInstanceOf(BadRecordError)
      expect(await db.dirtyAllKeys('t')).toEqual([1])
    })

    it('an unknown attribute, a missing key or a non-object is a BadRecordError (code bad_type)', async () => {
      await table(storage)
      for (const rec of [{ k: 2, v: 1, extra: 1 }, { v: 1 }, [1, 2], 'rec', null, new Point(2)]) {
        const err = await db.dirtyWrite('t', rec as never).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(BadRecordError)
        expect(err).toBeInstanceOf(WebnesiaError)
        expect((err as WebnesiaError).code).toBe('bad_type')
      }
      await expect(db.dirtyDeleteObject('t', { k: 1, nope: 1 })).rejects.toBeInstanceOf(BadRecordError)
      expect(await db.dirtyAllKeys('t')).toEqual([1])
    })
  })
}

describe('records handed out', () => {
  it('are frozen or copied: mutating them never changes the table', async () => {
    await table()
    await db.dirtyWrite('t', { k: 2, v: { list: [1, 2], when: new Date(5), bytes: new Uint8Array([1, 2]) } })
    const [r] = await db.dirtyRead('t', 2)
    const v = r?.['v'] as { list: number[]; when: Date; bytes: Uint8Array }
    expect(v.when).toEqual(new Date(5))
    expect(v.bytes).toEqual(new Uint8Array([1, 2]))
    try {
      v.list.push(3)
    } catch {
      // frozen: fine
    }
    v.when.setTime(99)
    v.bytes[0] = 42
    const [again] = await db.dirtyRead('t', 2)
    expect(again).toEqual({ k: 2, v: { list: [1, 2], when: new Date(5), bytes: new Uint8Array([1, 2]) } })
    // A record passed in is copied: changing the caller's object later changes nothing either.
    const mine = { k: 3, v: [1] }
    await db.dirtyWrite('t', mine)
    mine.v.push(2)
    expect(await db.dirtyRead('t', 3)).toEqual([{ k: 3, v: [1] }])
  })

  it('absent attributes read back absent; values round-trip losslessly', async () => {
    db = (await fresh())[0] as Database
    await db.createTable('r', { attributes: ['k', 'a', 'b'] })
    const value = { n: null, t: true, f: 1.5, s: 'x', arr: [1, [2]], o: { p: { q: 1 } }, d: new Date(1), u: new Uint8Array([7]) }
    await db.dirtyWrite('r', { k: 'x', b: value })
    const [back] = await db.dirtyRead('r', 'x')
    expect(back).toEqual({ k: 'x', b: value })
    expect(back && 'a' in back).toBe(false)
  })
})
