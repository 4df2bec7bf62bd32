/** Small helpers shared by the library's browser tests. */
import type { Page } from '@playwright/test'

/** Opens node `name` in the page and keeps the handle on `window.db` for later `evaluate` calls. */
export async function openIn(page: Page, name: string): Promise<void> {
  await page.evaluate(async (n) => {
    window.db = await webnesia.openDatabase({ name: n })
  }, name)
}
