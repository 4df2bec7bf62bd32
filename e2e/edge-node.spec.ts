/**
 * An edge node joins a browser peer (issue 19 item 3): a Node process with a file-backed node
 * (`openDatabase({ name, dir })`, WebRTC through node-datachannel) and a Chromium page copy a
 * table to each other over real WebRTC, through the loopback signaling server, both ways; the
 * Node process restarts and still has both tables.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Browser, Page } from '@playwright/test'
import { startSignalingServer, type SignalingServer } from '../bin/webnesia-signal.js'
import { compiledLib, removeCompiledLib } from '../test/backend/compiled.js'
import { startEdge, type EdgeProcess } from '../test/replication/edge-process.js'
import { expect, freshDir, openHarness, test, uniqueName } from './fixtures.js'
import { joinIn } from './helpers.js'

let signal: SignalingServer
test.beforeAll(async () => {
  signal = await startSignalingServer({ port: 0 })
})
test.afterAll(async () => {
  await signal.close()
  removeCompiledLib()
})

async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ permissions: ['microphone'] })
  return openHarness(await context.newPage())
}

async function waitSize(page: Page, table: string, size: number): Promise<void> {
  await page.evaluate(
    async ([t, n]) => {
      await db.waitForTables([t], 60_000)
      while ((db.tableInfo(t, 'size') as number) < n) {
        await new Promise<void>((resolve) => {
          const offs = [db.subscribe({ table: t }, done), db.subscribe('system', done)]
          function done(): void {
            for (const off of offs) off()
            resolve()
          }
        })
      }
    },
    [table, size] as const,
  )
}

test('a Node edge node (files) and a browser copy tables to each other over WebRTC; the edge node restarts with both', async ({ browser }) => {
  test.setTimeout(180_000)
  const lib = await compiledLib()
  const dir = await freshDir('edge')
  const url = `ws://127.0.0.1:${String(signal.port)}`
  const room = uniqueName('room')
  const name = uniqueName('edge')
  let edge: EdgeProcess | null = await startEdge(lib, join(dir, 'data'), name)
  try {
    await edge.call({ op: 'create', table: 'from_edge', n: 2000 })
    await edge.call({ op: 'join', room, signaling: [url] })
    const page = await device(browser)
    await page.evaluate(async (n) => {
      window.db = await webnesia.openDatabase({ name: n })
      await db.createTable('from_web', { attributes: ['k', 'v'] })
      await db.transaction(async (t) => {
        for (let i = 0; i < 500; i++) await t.write('from_web', { k: i, v: { at: new Date(i), bytes: new Uint8Array([i % 256]) } })
      })
      await db.close()
    }, uniqueName('web'))
    const webName = await page.evaluate(() => db.name)
    await joinIn(page, webName, url, room)

    // Edge → browser, and browser → edge, both over the same WebRTC data channel.
    await waitSize(page, 'from_edge', 2000)
    expect(await page.evaluate(() => db.dirtyRead('from_edge', 1234))).toEqual([{ k: 1234, v: 'node 1234' }])
    await edge.call({ op: 'wait', table: 'from_web', size: 500 })
    const rec = await edge.call<{ k: number; v: { at: string; bytes: Record<string, number> } }[]>({ op: 'read', table: 'from_web', key: 7 })
    expect(rec).toEqual([{ k: 7, v: { at: new Date(7).toISOString(), bytes: { 0: 7 } } }]) // a Date and bytes, as JSON
    // Live writes both ways, acknowledged by the peer.
    await page.evaluate(() => db.syncTransaction((t) => t.write('from_edge', { k: 'web', v: 1 })))
    await edge.call({ op: 'wait', table: 'from_edge', size: 2001 })
    await edge.call({ op: 'write', table: 'from_web', rec: { k: 'edge', v: 2 } })
    expect(await page.evaluate(() => db.dirtyRead('from_web', 'edge'))).toEqual([{ k: 'edge', v: 2 }])

    // The edge process ends; a new one on the same folder has everything.
    await edge.close()
    edge = await startEdge(lib, join(dir, 'data'), name)
    expect(await edge.call({ op: 'size', table: 'from_edge' })).toBe(2001)
    expect(await edge.call({ op: 'size', table: 'from_web' })).toBe(501)
    expect(await edge.call({ op: 'read', table: 'from_edge', key: 'web' })).toEqual([{ k: 'web', v: 1 }])
  } finally {
    await edge?.close()
    await rm(dir, { recursive: true, force: true })
  }
})
