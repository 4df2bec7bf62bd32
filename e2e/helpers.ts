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
