/**
 * The demo's primary tables over real WebRTC (two browsers, the loopback namespace): one node
 * takes the primary role of stock and order from the node panel, the other shows it with its
 * read routing and staleness; then both order the last unit at once: exactly one order succeeds,
 * the other is refused as out of stock, and both show stock 0 and the same orders.
 */
import type { Page } from '@playwright/test'
import { expect as baseExpect, test, uniqueName } from './fixtures.js'

const expect = baseExpect.configure({ timeout: 20_000 })

test.use({ permissions: ['microphone'] })

async function open(page: Page, room: string): Promise<Page> {
  await page.goto(`/?room=${room}`)
  await expect(page.locator('#status')).toHaveText('running', { timeout: 30_000 })
  return page
}

const stockOf = async (page: Page, sku: string): Promise<number> => Number(await page.locator(`tr[data-sku="${sku}"] td`).nth(4).textContent())

test('demo: stock as a primary table; two browsers order the last unit at once: exactly one succeeds', async ({ context, browser }) => {
  test.setTimeout(90_000)
  const room = uniqueName('demo')
  const a = await open(await context.newPage(), room)
  const other = await browser.newContext({ permissions: ['microphone'], baseURL: test.info().project.use.baseURL })
  const b = await open(await other.newPage(), room)
  await expect(a.locator('#peers li[data-node]')).toHaveCount(1, { timeout: 30_000 })
  await expect(b.locator('#peers li[data-node]')).toHaveCount(1)
  const nodeA = (await a.locator('#node-id').textContent()) ?? ''

  await a.getByRole('button', { name: 'Make this node the primary of stock and order' }).click()
  await expect(a.locator('#primary-node')).toHaveText('this node')
  await expect(b.locator('#primary-node')).toHaveText(nodeA)
  await expect(b.locator('#read-routing')).toContainText('replica')
  await expect(b.locator('#staleness')).toHaveText('now (connected)', { timeout: 5000 })
  await expect(b.locator('#copies tr[data-table="stock"] td').nth(6)).toHaveText(nodeA.slice(0, 10))

  // A product with one unit left: saved on the replica, restocked by 10 there, 9 ordered on a.
  const form = b.locator('#product-form')
  await form.getByRole('textbox', { name: 'SKU' }).fill('last')
  await form.getByRole('textbox', { name: 'Name' }).fill('Last unit')
  await form.getByRole('textbox', { name: 'Category' }).fill('demo')
  await form.getByRole('button', { name: 'Save' }).click()
  await expect(a.locator('tr[data-sku="last"]')).toContainText('Last unit')
  await b.getByRole('button', { name: 'Restock Last unit by 10' }).click()
  await expect.poll(() => stockOf(a, 'last')).toBe(10)
  // Nothing in flight now: every order so far is counted (the orders view is its own live query,
  // so a count read right after a stock change may not show the order of that change yet).
  const before = Number(await a.locator('#order-count').textContent())
  for (let left = 9; left >= 1; left--) {
    await a.getByRole('button', { name: 'Order one Last unit' }).dispatchEvent('click')
    await expect.poll(() => stockOf(a, 'last')).toBe(left)
  }
  await expect.poll(() => stockOf(b, 'last')).toBe(1)
  const orders = before + 9
  for (const p of [a, b]) await expect(p.locator('#order-count')).toHaveText(String(orders))

  // The race: both browsers order the last unit at once.
  await Promise.all([a, b].map((p) => p.getByRole('button', { name: 'Order one Last unit' }).dispatchEvent('click')))
  for (const p of [a, b]) {
    await expect.poll(() => stockOf(p, 'last')).toBe(0)
    await expect(p.locator('#order-count')).toHaveText(String(orders + 1))
  }
  const refused = async (p: Page): Promise<number> => p.locator('#log li', { hasText: /order of last aborted.*out of stock/ }).count()
  await expect.poll(async () => (await refused(a)) + (await refused(b))).toBe(1)
  await other.close()
})
