/** Small helpers shared by the library's browser tests. */
import type { Page } from '@playwright/test'

/** Opens node `name` in the page and keeps the handle on `window.db` for later `evaluate` calls. */
export async function openIn(page: Page, name: string): Promise<void> {
  await page.evaluate(async (n) => {
    window.db = await webnesia.openDatabase({ name: n })
  }, name)
}

/** Options every browser test passes to `db.join`: loopback signaling, no STUN servers. */
export function joinOptions(signaling: string, room: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { room, signaling: [signaling], peerOpts: { config: { iceServers: [] } }, resyncMs: 1000, ...extra }
}

/** Opens node `name` in the page and joins `room` (see {@link joinOptions}). */
export async function joinIn(page: Page, name: string, signaling: string, room: string, extra: Record<string, unknown> = {}): Promise<string> {
  await openIn(page, name)
  return page.evaluate(async (opts) => {
    await db.join(opts as unknown as Parameters<typeof db.join>[0])
    return db.node
  }, joinOptions(signaling, room, extra))
}

/**
 * Starts listening in the page for the next event of `spec` (`'system'` or `{ table }`) whose
 * fields equal `match`; once this resolves the subscription is in place (no race with what the
 * test does next). Call the returned function to get the event.
 *
 * @example
 * const down = await listen(a, 'system', { type: 'node_down' })
 * // … cut the peer …
 * expect(await down()).toMatchObject({ node: nodeB })
 */
export async function listen(page: Page, spec: 'system' | { table: string }, match: Record<string, unknown> = {}): Promise<() => Promise<unknown>> {
  const key = await page.evaluate(
    ({ spec, match }) => {
      const key = `webnesia-event-${String(Math.random()).slice(2)}`
      const slots = window as unknown as Record<string, Promise<unknown>>
      slots[key] = new Promise((resolve) => {
        const off = db.subscribe(spec as 'system', (e) => {
          const ev = e as unknown as Record<string, unknown>
          if (Object.entries(match).every(([k, v]) => ev[k] === v)) {
            off()
            resolve(e)
          }
        })
      })
      return key
    },
    { spec, match },
  )
  return () => page.evaluate((key) => (window as unknown as Record<string, Promise<unknown>>)[key], key)
}

/**
 * Keeps every system event of the page's `db` from now on (with its time), for
 * {@link systemLog}: a failing replication test prints what each side saw.
 */
export async function recordSystem(page: Page): Promise<void> {
  await page.evaluate(() => {
    const log: unknown[] = []
    ;(window as unknown as { webnesiaSystemLog: unknown[] }).webnesiaSystemLog = log
    db.subscribe('system', (e) => {
      log.push({ ms: Math.round(performance.now()), ...e })
    })
  })
}

/** The system events {@link recordSystem} kept, one JSON line each (`[]` when the page is gone). */
export async function systemLog(page: Page): Promise<string> {
  try {
    const log = await page.evaluate(() => (window as unknown as { webnesiaSystemLog?: unknown[] }).webnesiaSystemLog ?? [])
    return log.map((e) => JSON.stringify(e)).join('\n')
  } catch (e) {
    return `(no log: ${String(e)})`
  }
}
