/** The demo's ledger panel: stock movements as an aggregate, the projection in two tabs, a refused shipment, rebuild. */
import { expect, test } from './fixtures.js'

test('demo ledger: receive and ship in two tabs, a refused shipment, rebuild gives the same stock', async ({ context }) => {
  const a = await context.newPage()
  await a.goto('/')
  await expect(a.locator('#status')).toHaveText('running')
  const b = await context.newPage()
  await b.goto('/')
  await expect(b.locator('#status')).toHaveText('running')
  const sku = `plum${String(Date.now() % 100000)}`
  const move = async (page: typeof a, qty: number, op: 'Receive' | 'Ship'): Promise<void> => {
    const form = page.locator('#ledger-form')
    await form.getByRole('textbox', { name: 'Ledger SKU' }).fill(sku)
    await form.getByRole('spinbutton', { name: 'Quantity' }).fill(String(qty))
    await form.getByRole('button', { name: op, exact: true }).click()
  }
  await move(a, 5, 'Receive')
  await expect(b.locator(`#ledger tr[data-sku="${sku}"] td`).nth(1)).toHaveText('5')
  await move(b, 2, 'Ship')
  await expect(a.locator(`#ledger tr[data-sku="${sku}"] td`).nth(1)).toHaveText('3')
  await move(a, 10, 'Ship')
  await expect(a.locator('#ledger-status')).toContainText('refused')
  await a.getByRole('button', { name: 'Rebuild projection' }).click()
  await expect(a.locator('#ledger-status')).toHaveText('rebuilt from the origin')
  await expect(b.locator(`#ledger tr[data-sku="${sku}"] td`)).toHaveText([sku, '3', '2'])
})
