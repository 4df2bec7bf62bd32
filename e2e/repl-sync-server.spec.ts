/**
 * Replication through a real y-websocket server (`@y/websocket-server`, started here on
 * 127.0.0.1) between two browser contexts (two devices): B gets A's table through the server,
 * and writes flow both ways.
 */
import type { Browser, Page } from '@playwright/test'
import { startYWebsocket, type SyncServer } from '../test/replication/sync-servers.js'
import { expect, openHarness, test, uniqueName } from './fixtures.js'

let server: SyncServer
test.beforeAll(async () => {
  server = await startYWebsocket()
})
test.afterAll(async () => {
  await server.close()
})

async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext()
  return openHarness(await context.newPage())
}

test('B joins A through a y-websocket server: the table arrives, writes flow both ways', async ({ browser }) => {
  test.setTimeout(90_000)
  const room = uniqueName('room')
  const a = await device(browser)
  const b = await device(browser)
  await a.evaluate(async ({ name, room, url }) => {
    window.db = await webnesia.openDatabase({ name })
    await db.createTable('item', { attributes: ['id', 'v'] })
    await db.transaction(async (t) => {
      for (let j = 0; j < 2000; j++) await t.write('item', { id: j, v: `a${String(j)}` })
    })
    await db.join({ room, server: url, resyncMs: 0 })
  }, { name: uniqueName('a'), room, url: server.url })
  const copied = await b.evaluate(async ({ name, room, url }) => {
    window.db = await webnesia.openDatabase({ name })
    await db.join({ room, server: url, resyncMs: 0 })
    await db.waitForTables(['item'], 30_000)
    while ((db.tableInfo('item', 'size') as number) < 2000) {
      await new Promise<void>((resolve) => {
        const off = db.subscribe('system', (e) => {
          if (e.type === 'table_copied' || e.type === 'copy_progress') {
            off()
            resolve()
          }
        })
      })
    }
    const size = db.tableInfo('item', 'size')
    await db.dirtyWrite('item', { id: 5000, v: 'from b' })
    return { size, sample: await db.dirtyRead('item', 1234) }
  }, { name: uniqueName('b'), room, url: server.url })
  expect(copied).toEqual({ size: 2000, sample: [{ id: 1234, v: 'a1234' }] })
  const got = await a.evaluate(async () => {
    while ((await db.dirtyRead('item', 5000)).length === 0) {
      await new Promise<void>((resolve) => {
        const off = db.subscribe({ table: 'item' }, () => {
          off()
          resolve()
        })
      })
    }
    return { row: await db.dirtyRead('item', 5000), peers: db.replication?.connected().length }
  })
  expect(got).toEqual({ row: [{ id: 5000, v: 'from b' }], peers: 1 })
})
