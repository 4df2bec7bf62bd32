/** A closed handle rejects every call with DatabaseClosedError; other tabs go on. */
import { expect, it } from 'vitest'
import { DatabaseClosedError } from '../../src/index.js'
import { fresh } from './helpers.js'

it('every call on a closed handle rejects with DatabaseClosedError itself', async () => {
  const [a, b] = await fresh(2)
  if (!a || !b) throw new Error('no handles')
  await a.createTable('t', { attributes: ['k', 'v'] })
  await a.close()
  const calls: (() => unknown)[] = [
    () => a.transaction(() => 1),
    () => a.dirtyRead('t', 1),
    () => a.dirtyWrite('t', { k: 1, v: 1 }),
    () => a.dirtyUpdateCounter('t', 1, 1),
    () => a.createTable('u', { attributes: ['k', 'v'] }),
    () => a.deleteTable('t'),
    () => a.clearTable('t'),
    () => a.dirtySelect('t', [[{ k: '$1' }, [], ['$1']]]),
    () => a.waitForTables(['t']),
    () => a.activity('ets', () => 1),
  ]
  for (const call of calls) await expect(Promise.resolve().then(call)).rejects.toBeInstanceOf(DatabaseClosedError)
  expect(() => a.tableInfo('t', 'size')).toThrow(DatabaseClosedError)
  expect(() => a.subscribe('system', () => undefined)).toThrow(DatabaseClosedError)
  await a.close() // idempotent
  await b.dirtyWrite('t', { k: 1, v: 'still fine' })
  expect(await b.dirtyRead('t', 1)).toEqual([{ k: 1, v: 'still fine' }])
  await b.close()
})
