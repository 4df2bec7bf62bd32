/**
 * Live queries in real Chromium (API.md, "Live queries"): a query in one tab follows the commits
 * of another tab and of a peer over WebRTC; a background tab, hidden and then frozen, is current
 * once it is shown again.
 *
 * Every test uses one workload: commit `i` writes `a = i`, `b = i` and a new key `n<i>` in one
 * transaction, and the query reads `a`, `b` (key reads) and counts the table (a scan). So every
 * committed state is `{ a: i, b: i, count: i + 3 }` (or the empty table), a torn read would show
 * `a !== b` or a wrong count, and commit order means `a` only grows.
 */
import type { Browser, Page } from '@playwright/test'
import { startSignalingServer, type SignalingServer } from '../bin/webnesia-signal.js'
import { expect, freezePage, openHarness, test, uniqueName } from './fixtures.js'
import { joinIn, openIn } from './helpers.js'

interface State {
  a: number | null
  b: number | null
  count: number
}

declare global {
  /** What the live query of a test emitted, in order. */
  var seen: State[] | undefined
  /** The value the query held when the tab was last shown (`visibilitychange` → visible). */
  var shownWith: State | undefined
}

/** In `page` (its `db` open, table `kv` there): subscribes the test's live query, recording into `window.seen`. */
async function follow(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await db.waitForTables(['kv'], 10_000)
    window.seen = []
    const q = db.liveQuery(async (t) => {
      const [a] = await t.read('kv', 'a')
      const [b] = await t.read('kv', 'b')
      const keys = await t.allKeys('kv')
      return { a: (a?.['v'] as number | undefined) ?? null, b: (b?.['v'] as number | undefined) ?? null, count: keys.length }
    })
    q.subscribe((v) => window.seen?.push(v))
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') window.shownWith = window.seen?.at(-1)
    })
    await q.idle()
  })
}

/** In `page`: commits `from` .. `to - 1` of the workload, one transaction each, in order. */
async function commit(page: Page, from: number, to: number): Promise<void> {
  await page.evaluate(
    async ({ from, to }) => {
      for (let i = from; i < to; i++) {
        await db.transaction(async (t) => {
          await t.write('kv', { k: 'a', v: i })
          await t.write('kv', { k: 'b', v: i })
          await t.write('kv', { k: `n${String(i)}`, v: i })
        })
      }
    },
    { from, to },
  )
}

const final = (n: number): State => ({ a: n - 1, b: n - 1, count: n + 2 })

/** Every emitted value is a committed state, they come in commit order, the last is `last`. */
function checkFollowed(seen: State[], last: State): void {
  for (const s of seen) {
    if (s.a === null) expect(s).toEqual({ a: null, b: null, count: 0 })
    else expect(s).toEqual({ a: s.a, b: s.a, count: s.a + 3 })
  }
  const as = seen.map((s) => s.a ?? -1)
  for (let i = 1; i < as.length; i++) expect(as[i] ?? 0).toBeGreaterThan(as[i - 1] ?? 0)
  expect(seen.at(-1)).toEqual(last)
}

async function setupTable(page: Page): Promise<void> {
  await page.evaluate(() => db.createTable('kv', { attributes: ['k', 'v'] }))
}

test('a live query in tab B follows the commits of tab A: committed states only, in order, ending at A’s state', async ({ harness, context, dbName }) => {
  const a = harness
  const b = await openHarness(await context.newPage())
  await openIn(a, dbName)
  await setupTable(a)
  await openIn(b, dbName)
  await follow(b)
  const N = 120
  await commit(a, 0, N)
  await expect.poll(() => b.evaluate(() => window.seen?.at(-1)), { timeout: 15_000 }).toEqual(final(N))
  const seen = (await b.evaluate(() => window.seen)) ?? []
  checkFollowed(seen, final(N))
  // It followed (not only the first and the last state), yet coalesced (fewer values than commits).
  expect(seen.length).toBeGreaterThan(2)
  expect(seen.length).toBeLessThanOrEqual(N + 1)
  test.info().annotations.push({ type: 'values', description: `${String(seen.length)} values for ${String(N)} commits` })
})

test('a background tab’s live query, hidden and then frozen, is current once the tab is shown', async ({ freezable }) => {
  test.setTimeout(120_000)
  // A frozen page loses its dev-server socket and Vite's client reloads the page on resume
  // (TESTING.md): keep the page by not letting that client see the socket close.
  await freezable.context.addInitScript(() => {
    const Real = window.WebSocket
    window.WebSocket = new Proxy(Real, {
      construct(target, args: ConstructorParameters<typeof WebSocket>) {
        const ws = Reflect.construct<typeof args, WebSocket>(target, args)
        if (args[1] === 'vite-hmr') {
          const add = ws.addEventListener.bind(ws)
          ws.addEventListener = ((type: string, fn: EventListener, opts?: AddEventListenerOptions) => {
            if (type !== 'close') add(type, fn, opts)
          }) as typeof ws.addEventListener
        }
        return ws
      },
    })
  })
  const name = uniqueName('live-bg')
  const b = await openHarness(await freezable.context.newPage())
  await openIn(b, name)
  await setupTable(b)
  await follow(b)
  // A newer tab in front: b is a background tab now.
  const a = await openHarness(await freezable.context.newPage())
  await openIn(a, name)
  await a.evaluate(() => db.waitForTables(['kv'], 10_000))
  expect(await b.evaluate(() => document.visibilityState)).toBe('hidden')

  // Hidden (timers throttled to about once a second): it still follows.
  await commit(a, 0, 40)
  await expect.poll(() => b.evaluate(() => window.seen?.at(-1)), { timeout: 15_000 }).toEqual(final(40))

  // Frozen: nothing runs in b while a commits; once resumed and shown, b catches up.
  const resume = await freezePage(b)
  await commit(a, 40, 100)
  await resume()
  await b.bringToFront()
  await expect.poll(() => b.evaluate(() => document.visibilityState)).toBe('visible')
  await expect.poll(() => b.evaluate(() => window.seen?.at(-1)), { timeout: 15_000 }).toEqual(final(100))
  const seen = (await b.evaluate(() => window.seen)) ?? []
  checkFollowed(seen, final(100))
  expect(await b.evaluate(() => window.shownWith)).toBeDefined()
  test.info().annotations.push({
    type: 'shown',
    description: `value when shown: ${JSON.stringify(await b.evaluate(() => window.shownWith))}; ${String(seen.length)} values in all`,
  })
})

let signal: SignalingServer
test.describe('over WebRTC', () => {
  test.beforeAll(async () => {
    signal = await startSignalingServer({ port: 0 })
  })
  test.afterAll(async () => {
    await signal.close()
  })

  /** A page in a new context (another device), with the permission that gives WebRTC loopback candidates. */
  async function device(browser: Browser): Promise<Page> {
    const context = await browser.newContext({ permissions: ['microphone'] })
    return openHarness(await context.newPage())
  }

  test('a live query on peer B follows the commits of peer A', async ({ browser }) => {
    test.setTimeout(120_000)
    const url = `ws://127.0.0.1:${String(signal.port)}`
    const room = uniqueName('room')
    const a = await device(browser)
    const b = await device(browser)
    await openIn(a, uniqueName('a'))
    await setupTable(a)
    await a.evaluate(async (opts) => {
      await db.join(opts)
    }, { room, signaling: [url], peerOpts: { config: { iceServers: [] } }, resyncMs: 1000 })
    await joinIn(b, uniqueName('b'), url, room)
    await follow(b)
    const N = 60
    await commit(a, 0, N)
    await expect.poll(() => b.evaluate(() => window.seen?.at(-1)), { timeout: 30_000 }).toEqual(final(N))
    const seen = (await b.evaluate(() => window.seen)) ?? []
    // A peer's commit is seen whole (its updates are committed one at a time here:
    // src/replication/inbound.ts): every value a committed state of A, in order, ending at A's.
    checkFollowed(seen, final(N))
    expect(seen.length).toBeGreaterThan(2)
    test.info().annotations.push({ type: 'values', description: `${String(seen.length)} values on the peer for ${String(N)} commits` })
  })
})
