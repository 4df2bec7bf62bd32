/**
 * The demo with two tabs of one browser and a second browser (another device) over real WebRTC,
 * inside the loopback-only namespace: edits show up everywhere, orders fired from 3 tabs keep
 * stock and orders consistent, and the offline switch shows writes on both sides merging on
 * reconnect, with the partition banner. Screenshots of the two peers go to e2e/screenshots/.
 */
import type { Page } from '@playwright/test'
import { expect as baseExpect, test, uniqueName } from './fixtures.js'

// Peers, renders and WebRTC under a loaded 2-core machine (other specs run alongside): wait longer.
const expect = baseExpect.configure({ timeout: 20_000 })

test.use({ permissions: ['microphone'] })

async function open(page: Page, room: string): Promise<Page> {
  await page.goto(`/?room=${room}`)
  await expect(page.locator('#status')).toHaveText('running', { timeout: 20_000 })
  return page
}

async function addProduct(page: Page, sku: string, name: string): Promise<void> {
  const form = page.locator('#product-form')
  await form.getByRole('textbox', { name: 'SKU' }).fill(sku)
  await form.getByRole('textbox', { name: 'Name' }).fill(name)
  await form.getByRole('textbox', { name: 'Category' }).fill('demo')
  await form.getByRole('button', { name: 'Save' }).click()
}

const skus = (page: Page): Promise<string[]> => page.locator('#products tr').evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset['sku'] ?? ''))
const stockOf = async (page: Page, sku: string): Promise<number> => Number(await page.locator(`tr[data-sku="${sku}"] td`).nth(4).textContent())

test('two tabs and a peer: edits everywhere, concurrent orders consistent, offline writes merge, screenshots', async ({ context, browser }) => {
  test.setTimeout(120_000)
  const room = uniqueName('demo')
  const a1 = await open(await context.newPage(), room)
  const a2 = await open(await context.newPage(), room)
  const other = await browser.newContext({ permissions: ['microphone'], baseURL: test.info().project.use.baseURL })
  const b = await open(await other.newPage(), room)
  // The peer shows up in the node panel of both devices.
  await expect(a1.locator('#peers li[data-node]')).toHaveCount(1, { timeout: 20_000 })
  await expect(b.locator('#peers li[data-node]')).toHaveCount(1)

  // An edit in each place shows up in the others.
  await addProduct(a1, 'kiwi', 'Gold kiwi')
  await addProduct(b, 'fig', 'Black fig')
  for (const p of [a1, a2, b]) {
    await expect(p.locator('tr[data-sku="kiwi"]')).toContainText('Gold kiwi')
    await expect(p.locator('tr[data-sku="fig"]')).toContainText('Black fig')
  }
  await expect(b.locator('#log')).toContainText('peer')

  // Restock, then orders fired at once from the three tabs of the first device.
  await a2.getByRole('button', { name: 'Restock Gold kiwi by 10' }).click()
  await expect(a1.locator('tr[data-sku="kiwi"] td').nth(4)).toHaveText('10')
  const orders = Number(await a1.locator('#order-count').textContent())
  const third = await open(await context.newPage(), room)
  // dispatchEvent, not click(): rows re-render under the pointer while orders land, and a mouse
  // click whose button was replaced between press and release is no click at all.
  await Promise.all(
    [a1, a2, third].flatMap((p) => [0, 1, 2].map(() => p.getByRole('button', { name: 'Order one Gold kiwi' }).dispatchEvent('click'))),
  )
  for (const p of [a1, a2, third, b]) {
    await expect(p.locator('#order-count')).toHaveText(String(orders + 9), { timeout: 15_000 })
    await expect.poll(() => stockOf(p, 'kiwi')).toBe(1)
  }
  await third.close()

  // Offline: writes on both sides, then back online: the same products everywhere.
  await b.getByRole('button', { name: 'Go offline' }).click()
  await expect(b.locator('#net-state')).toHaveText('offline')
  await expect(a1.locator('#peers li[data-node]')).toHaveCount(0, { timeout: 15_000 })
  await addProduct(a1, 'plum', 'Written on A offline')
  await addProduct(b, 'lime', 'Written on B offline')
  await expect(a2.locator('tr[data-sku="plum"]')).toBeVisible()
  await expect(a1.locator('tr[data-sku="lime"]')).toHaveCount(0)
  await b.getByRole('button', { name: 'Go online' }).click()
  await expect(b.locator('#net-state')).toHaveText('online')
  for (const p of [a1, a2, b]) {
    await expect(p.locator('tr[data-sku="plum"]')).toBeVisible({ timeout: 20_000 })
    await expect(p.locator('tr[data-sku="lime"]')).toBeVisible({ timeout: 20_000 })
  }
  expect(await skus(b)).toEqual(await skus(a1))
  expect(await skus(a2)).toEqual(await skus(a1))
  // Both sides wrote while apart: b's replicator kept that across its leave / join, so both
  // nodes raise inconsistent_database and show the partition banner.
  for (const p of [a1, b]) await expect(p.locator('#partition')).toContainText('Partition detected on product')

  // Table copies from the node panel: b drops its copy of the tags, a gives it one again.
  const bNode = (await b.locator('#node-id').textContent()) ?? ''
  await b.getByRole('button', { name: "Drop this node's copy of tag" }).click()
  await expect(b.locator('#copies tr[data-table="tag"]')).toHaveCount(0)
  await a1.getByRole('button', { name: `Add a disc copy of tag on node ${bNode}` }).click()
  await expect(b.locator('#copies tr[data-table="tag"]')).toHaveCount(1)
  await expect(a1.locator('#copies tr[data-table="tag"] td').nth(3)).toContainText(bNode.slice(0, 10))

  await a1.setViewportSize({ width: 1280, height: 1000 })
  await b.setViewportSize({ width: 1280, height: 1000 })
  await a1.screenshot({ path: 'e2e/screenshots/demo-peer-a.png', fullPage: true })
  await b.screenshot({ path: 'e2e/screenshots/demo-peer-b.png', fullPage: true })
  await other.close()
})
