/**
 * The demo page works on the public API: two tabs of one context show each other's changes.
 */
import { expect, test } from './fixtures.js'

test('demo: a product saved in one tab and an order placed in another show up in both', async ({ context }) => {
  const a = await context.newPage()
  await a.goto('/')
  await expect(a.locator('#status')).toHaveText('running')
  const b = await context.newPage()
  await b.goto('/')
  await expect(b.locator('#status')).toHaveText('running')

  const sku = `kiwi${String(Date.now() % 100000)}`
  const form = a.locator('#product-form')
  await form.getByRole('textbox', { name: 'SKU' }).fill(sku)
  await form.getByRole('textbox', { name: 'Name' }).fill('Gold kiwi')
  await form.getByRole('textbox', { name: 'Category' }).fill('fruit')
  await form.getByRole('button', { name: 'Save' }).click()
  const rowB = b.locator(`tr[data-sku="${sku}"]`)
  await expect(rowB).toContainText('Gold kiwi')

  await b.getByRole('button', { name: 'Restock Gold kiwi by 10' }).click()
  await expect(a.locator(`tr[data-sku="${sku}"] td`).nth(4)).toHaveText('10')
  await a.getByRole('button', { name: 'Order one Gold kiwi' }).click()
  await expect(rowB.locator('td').nth(4)).toHaveText('9')

  const before = Number(await b.locator('#counter').textContent())
  await a.getByRole('button', { name: '+1', exact: true }).click()
  await expect(b.locator('#counter')).toHaveText(String(before + 1))
})
