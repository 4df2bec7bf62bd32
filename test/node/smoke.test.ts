import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/index.js'

let n = 0
const fresh = (): string => `smoke-${String(++n)}-${String(Date.now())}`

describe('smoke', () => {
  it('creates, writes, reads, transacts', async () => {
    const db = await openDatabase({ name: fresh() })
    await db.createTable('emp', { attributes: ['id', 'name', 'salary'], index: ['name'] })
    await db.dirtyWrite('emp', { id: 1, name: 'a', salary: 10 })
    expect(await db.dirtyRead('emp', 1)).toEqual([{ id: 1, name: 'a', salary: 10 }])
    const v = await db.transaction(async (t) => {
      const [e] = await t.read('emp', 1)
      await t.write('emp', { ...e, salary: (e?.salary as number) + 5 })
      return (await t.read('emp', 1))[0]?.salary
    })
    expect(v).toBe(15)
    expect(await db.dirtyIndexRead('emp', 'a', 'name')).toEqual([{ id: 1, name: 'a', salary: 15 }])
    expect(await db.dirtySelect('emp', [[{ id: '$1', salary: '$2' }, [['>', '$2', 12]], ['$1']]])).toEqual([1])
    expect(db.tableInfo('emp', 'size')).toBe(1)
    await db.close()
  })
})
