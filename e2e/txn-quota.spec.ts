/**
 * A commit refused for lack of space: StorageFullError, memory rolled back, other tabs see
 * nothing; after space is freed commits succeed again.
 */
import { expect, openHarness, setQuota, test } from './fixtures.js'
import { openIn } from './helpers.js'

test('quota exceeded: StorageFullError, nothing visible anywhere, then recovery', async ({ harness, context, dbName }) => {
  const other = await openHarness(await context.newPage())
  // Observed here: an override set after the connection opened did not limit its commits.
  await setQuota(harness, 1024 * 1024)
  await openIn(harness, dbName)
  await harness.evaluate(async () => {
    await db.createTable('doc', { attributes: ['id', 'body'] })
    await db.dirtyWrite('doc', { id: 1, body: 'small' })
  })
  await openIn(other, dbName)
  await other.evaluate(async () => {
    await db.waitForTables(['doc'], 10_000)
    ;(window as unknown as { seen: unknown[] }).seen = []
    db.subscribe({ table: 'doc' }, (ev) => (window as unknown as { seen: unknown[] }).seen.push(ev))
  })
  const failure = await harness.evaluate(async () => {
    const events: unknown[] = []
    const off = db.subscribe({ table: 'doc' }, (ev) => events.push(ev))
    try {
      await db.transaction(async (t) => {
        await t.write('doc', { id: 1, body: 'changed' })
        // Incompressible (Chromium compresses IndexedDB values): 2 MiB of random bytes.
        const body = new Uint8Array(2 * 1024 * 1024)
        for (let i = 0; i < body.length; i += 65536) crypto.getRandomValues(body.subarray(i, i + 65536))
        await t.write('doc', { id: 2, body })
      })
      return { ok: true }
    } catch (e) {
      const err = e as { name: string; code: string }
      return { ok: false, name: err.name, code: err.code, after: await db.dirtyRead('doc', 1), two: await db.dirtyRead('doc', 2), events: events.length }
    } finally {
      off()
    }
  })
  expect(failure).toEqual({ ok: false, name: 'StorageFullError', code: 'quota', after: [{ id: 1, body: 'small' }], two: [], events: 0 })
  expect(await other.evaluate(() => db.dirtyRead('doc', 1))).toEqual([{ id: 1, body: 'small' }])

  await setQuota(harness, null)
  await harness.evaluate(() => db.transaction((t) => t.write('doc', { id: 1, body: 'after' })))
  await expect.poll(() => other.evaluate(() => db.dirtyRead('doc', 1))).toEqual([{ id: 1, body: 'after' }])
  // The other tab saw exactly one change: the one that committed.
  expect(await other.evaluate(() => (window as unknown as { seen: unknown[] }).seen.length)).toBe(1)
})
