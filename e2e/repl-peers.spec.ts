/**
 * Replication over real WebRTC between two browser contexts (two devices), through the project's
 * loopback signaling server, inside a loopback-only network namespace (scripts/netns.mjs).
 */
import type { Browser, Page } from '@playwright/test'
import { startSignalingServer, type SignalingServer } from '../bin/webnesia-signal.js'
import { expect, openHarness, test, uniqueName } from './fixtures.js'
import { joinOptions, listen, recordSystem, systemLog } from './helpers.js'

let signal: SignalingServer
const devices: Page[] = []
test.beforeAll(async () => {
  signal = await startSignalingServer({ port: 0 })
})
test.afterAll(async () => {
  await signal.close()
})

/** A page in a new context: another device, with the permission that gives WebRTC loopback candidates. */
async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ permissions: ['microphone'] })
  const page = await context.newPage()
  page.on('console', (m) => {
    if (process.env['E2E_CONSOLE']) console.log(m.type(), m.text())
  })
  devices.push(page)
  return openHarness(page)
}

test.afterEach(async ({}, info) => {
  // A failure says what each device's replication saw (node_up / node_down, rejections, copies).
  if (info.status !== info.expectedStatus) {
    for (const [i, page] of devices.entries()) console.log(`device ${String(i)} system events:\n${await systemLog(page)}`)
  }
  devices.length = 0
})

test('B joins A: schema, a 10k-record table and a > 1 MB table arrive; writes flow both ways as peer events', async ({ browser }) => {
  test.setTimeout(120_000)
  const url = `ws://127.0.0.1:${String(signal.port)}`
  const room = uniqueName('room')
  const a = await device(browser)
  const b = await device(browser)
  await a.evaluate(async (name) => {
    window.db = await webnesia.openDatabase({ name })
    await db.createTable('item', { attributes: ['id', 'name', 'price'], index: ['name'] })
    await db.createTable('blob', { attributes: ['id', 'text'], type: 'ordered_set' })
    for (let i = 0; i < 10_000; i += 1000) {
      await db.transaction(async (t) => {
        for (let j = i; j < i + 1000; j++) await t.write('item', { id: j, name: `item ${String(j % 97)}`, price: j * 0.5 })
      })
    }
    const text = 'x'.repeat(4096)
    await db.transaction(async (t) => {
      for (let j = 0; j < 300; j++) await t.write('blob', { id: j, text: `${String(j)}:${text}` })
    })
  }, uniqueName('a'))
  await recordSystem(a)
  const nodeA = await a.evaluate(async (opts) => {
    await db.join(opts)
    return db.node
  }, { room, signaling: [url], peerOpts: { config: { iceServers: [] } }, resyncMs: 1000 })
  await b.evaluate(async (name) => {
    window.db = await webnesia.openDatabase({ name })
  }, uniqueName('b'))
  await recordSystem(b)
  const nodeB = await b.evaluate(async (opts) => {
    await db.join(opts as unknown as Parameters<typeof db.join>[0])
    return db.node
  }, joinOptions(url, room))
  const copied = await b.evaluate(async () => {
    const t0 = performance.now()
    await db.waitForTables(['item', 'blob'], 60_000)
    // The tables exist at once; their records arrive in batches: wait for the copy events.
    while ((db.tableInfo('item', 'size') as number) < 10_000 || (db.tableInfo('blob', 'size') as number) < 300) {
      await new Promise<void>((resolve) => {
        const off = db.subscribe('system', (e) => {
          if (e.type === 'table_copied' || e.type === 'copy_progress') {
            off()
            resolve()
          }
        })
      })
    }
    return {
      ms: performance.now() - t0,
      item: db.tableInfo('item', 'size'),
      blob: db.tableInfo('blob', 'size'),
      sample: await db.dirtyRead('item', 4242),
      byName: (await db.dirtyIndexRead('item', 'item 3', 'name')).length,
      blobBytes: (await db.dirtyMatchObject<{ text: string }>('blob', {})).reduce((n, r) => n + r.text.length, 0),
      copies: db.tableInfo('item', 'discCopies'),
    }
  })
  expect(copied.item).toBe(10_000)
  expect(copied.blob).toBe(300)
  expect(copied.sample).toEqual([{ id: 4242, name: 'item 71', price: 2121 }])
  expect(copied.byName).toBe(104)
  expect(copied.blobBytes).toBeGreaterThan(1_000_000)
  expect(copied.copies).toEqual([nodeA, nodeB].sort())
  test.info().annotations.push({ type: 'copy', description: `10k + 1.2 MB copied in ${copied.ms.toFixed(0)} ms` })

  // B → A
  const onA = await listen(a, { table: 'item' })
  await b.evaluate(() => db.transaction(async (t) => t.write('item', { id: -1, name: 'from b', price: 1 })))
  expect(await onA()).toEqual({ type: 'write', table: 'item', record: { id: -1, name: 'from b', price: 1 }, origin: 'peer' })
  // A → B
  const onB = await listen(b, { table: 'item' })
  await a.evaluate(() => db.dirtyDelete('item', 7))
  expect(await onB()).toEqual({ type: 'delete', table: 'item', key: 7, origin: 'peer' })
})
