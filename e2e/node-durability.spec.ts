/**
 * Durability across a browser restart (persistent profile): disc_copies and disc_only_copies keep
 * their records, ram_copies keep only their definition.
 */
import { expect, launchPersistent, openHarness, test } from './fixtures.js'

test('disc tables survive a browser restart, ram tables do not', async ({ profileDir, dbName }) => {
  let ctx = await launchPersistent(profileDir)
  let page = await openHarness(await ctx.newPage())
  await page.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    for (const storage of ['disc_copies', 'disc_only_copies', 'ram_copies'] as const) {
      await db.createTable(storage, { attributes: ['k', 'v'], storage, type: 'ordered_set' })
      await db.transaction(async (t) => {
        for (let i = 0; i < 50; i++) await t.write(storage, { k: i, v: `${storage}-${String(i)}` })
      })
    }
    await db.dirtyWrite('disc_copies', { k: 'date', v: new Date(7) })
    await db.close()
  }, dbName)
  const node = await page.evaluate(async (name) => (await webnesia.openDatabase({ name })).node, dbName)
  await ctx.close()

  ctx = await launchPersistent(profileDir)
  page = await openHarness(await ctx.newPage())
  const after = await page.evaluate(async (name) => {
    const db = await webnesia.openDatabase({ name })
    const out = {
      node: db.node,
      tables: db.systemInfo('tables'),
      disc: await db.dirtyAllKeys('disc_copies'),
      discOnly: await db.dirtySelect('disc_only_copies', [[{ k: '$1', v: '$2' }, [['<', '$1', 3]], ['$2']]]),
      ram: db.tableInfo('ram_copies', 'size'),
      ramAttrs: db.tableInfo('ram_copies', 'attributes'),
      date: (await db.dirtyRead('disc_copies', 'date'))[0]?.['v'] instanceof Date,
    }
    await db.close()
    return out
  }, dbName)
  await ctx.close()
  expect(after.node).toBe(node)
  expect(after.tables).toEqual(['disc_copies', 'disc_only_copies', 'ram_copies'])
  expect(after.disc).toHaveLength(51)
  expect(after.discOnly).toEqual(['disc_only_copies-0', 'disc_only_copies-1', 'disc_only_copies-2'])
  expect(after.ram).toBe(0)
  expect(after.ramAttrs).toEqual(['k', 'v'])
  expect(after.date).toBe(true)
})
