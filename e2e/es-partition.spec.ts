/**
 * The event store over real WebRTC (loopback netns): two devices append to one stream while
 * partitioned (the transport's fault hook), then heal → both hold every event in the same order
 * (versions 1..n), and both raised `stream_conflict` for the stream.
 */
import type { Browser, Page } from '@playwright/test'
import { startSignalingServer, type SignalingServer } from '../bin/webnesia-signal.js'
import { expect, openHarness, test, uniqueName } from './fixtures.js'
import { joinIn, listen } from './helpers.js'

let signal: SignalingServer
let url = ''
test.beforeAll(async () => {
  signal = await startSignalingServer({ port: 0 })
  url = `ws://127.0.0.1:${String(signal.port)}`
})
test.afterAll(async () => {
  await signal.close()
})

async function device(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ permissions: ['microphone'] })
  return openHarness(await context.newPage())
}

const stream = (page: Page): Promise<string[]> =>
  page.evaluate(async () => (await db.eventStore().read('acc')).map((e) => `${String(e.version)} ${e.type} ${String(e.data)} ${e.node}`))

test('2 peers append to one stream while partitioned; heal → every event, one order, stream_conflict on both', async ({ browser }) => {
  test.setTimeout(90_000)
  const room = uniqueName('room')
  const [a, b] = [await device(browser), await device(browser)]
  await a.evaluate(async (name) => {
    window.db = await webnesia.openDatabase({ name })
    await db.eventStore().append('acc', [{ type: 'Opened', data: 0 }])
  }, uniqueName('a'))
  const nodeA = await a.evaluate(async (opts) => {
    await db.join(opts)
    return db.node
  }, { room, signaling: [url], peerOpts: { config: { iceServers: [] } }, resyncMs: 1000 })
  const nodeB = await joinIn(b, uniqueName('b'), url, room)
  await b.evaluate(() => db.waitForTables(['es:event'], 20_000))
  await expect.poll(() => stream(b), { timeout: 20_000 }).toEqual([`1 Opened 0 ${nodeA}`])

  await a.evaluate((n) => db.replication?.partition([n]), nodeB)
  await b.evaluate((n) => db.replication?.partition([n]), nodeA)
  // Both accept version 2 (exact on each node), and go on.
  await a.evaluate(async () => {
    const es = db.eventStore()
    await es.append('acc', [{ type: 'A', data: 1 }], { expectedVersion: 1 })
    await es.append('acc', [{ type: 'A', data: 2 }], { expectedVersion: 2 })
  })
  await b.evaluate(async () => {
    await db.eventStore().append('acc', [{ type: 'B', data: 1 }, { type: 'B', data: 2 }, { type: 'B', data: 3 }], { expectedVersion: 1 })
  })
  const conflictA = await listen(a, 'system', { type: 'stream_conflict', stream: 'acc' })
  const conflictB = await listen(b, 'system', { type: 'stream_conflict', stream: 'acc' })
  for (const p of [a, b]) await p.evaluate(() => db.replication?.heal())
  expect(await conflictA()).toMatchObject({ type: 'stream_conflict', stream: 'acc' })
  expect(await conflictB()).toMatchObject({ type: 'stream_conflict', stream: 'acc' })
  await expect.poll(async () => (await stream(a)).length, { timeout: 10_000 }).toBe(6)
  await expect.poll(async () => (await stream(b)).length, { timeout: 10_000 }).toBe(6)
  const [sa, sb] = [await stream(a), await stream(b)]
  expect(sb).toEqual(sa)
  expect(sa.map((l) => l.split(' ')[0])).toEqual(['1', '2', '3', '4', '5', '6'])
  expect(sa.map((l) => l.split(' ').slice(1, 3).join('')).sort()).toEqual(['A1', 'A2', 'B1', 'B2', 'B3', 'Opened0'])
})
