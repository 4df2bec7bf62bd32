/**
 * Seed 004's query examples (Mnesia User's Guide, 5.7-5.8), as written, through the public API on
 * every storage type, in dirty and transactional contexts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BadMatchSpecError, type Database } from '../../src/index.js'
import { fresh } from '../node/helpers.js'
import { employees } from './fixtures.js'

let db: Database
afterEach(async () => {
  await db.close()
})

for (const storage of ['ram_copies', 'disc_copies', 'disc_only_copies'] as const) {
  describe(`seed examples on ${storage}`, () => {
    async function setup(): Promise<void> {
      db = (await fresh())[0] as Database
      await db.createTable('employee', { attributes: ['empNo', 'name', 'salary', 'sex', 'phone', 'roomNo'], index: ['name', 'sex'], storage })
      await db.transaction(async (t) => {
        for (const e of employees) await t.write('employee', e)
      })
    }

    it('all female employees (matchObject with an index, and select)', async () => {
      await setup()
      const names = (await db.dirtyMatchObject('employee', { sex: 'female' })).map((e) => e['name']).sort()
      expect(names).toEqual(['Raddning Asa', 'Tuple Key', 'Virding Rob'])
      const viaSelect = await db.transaction((t) => t.select('employee', [[{ name: '$1', sex: 'female' }, [], ['$1']]]))
      expect((viaSelect as string[]).sort()).toEqual(names)
      expect((await db.dirtyIndexRead('employee', 'female', 'sex')).length).toBe(3)
    })

    it('employees whose employee number equals their room number (a repeated variable)', async () => {
      await setup()
      const same = await db.dirtyMatchObject('employee', { empNo: '$1', roomNo: ['$1', '_'] })
      expect(same.map((e) => e['name'])).toEqual(['Virding Rob'])
    })

    it('male employees on the second floor, with guards', async () => {
      await setup()
      const spec = [[{ name: '$1', sex: 'male', roomNo: ['$2', '_'] }, [['>=', '$2', 220], ['<', '$2', 230]], ['$1']]]
      const got = await db.transaction((t) => t.select('employee', spec))
      expect((got as string[]).sort()).toEqual(['Dacker Bjarne', 'Ericsson Jan', 'No Phone'])
    })

    it('a malformed spec is a BadMatchSpecError before anything runs', async () => {
      await setup()
      let runs = 0
      const err = await db
        .transaction(async (t) => {
          runs++
          return t.select('employee', [[{ name: '$1' }, [['frobnicate', '$1']], ['$1']]])
        })
        .catch((e: unknown) => e)
      expect(runs).toBe(1)
      expect((err as { reason: unknown }).reason).toBeInstanceOf(BadMatchSpecError)
      await expect(db.dirtySelect('employee', [[{ nope: '$1' }, [], ['$1']]])).rejects.toBeInstanceOf(BadMatchSpecError)
    })
  })
}
