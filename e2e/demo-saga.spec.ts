/**
 * The demo's checkout panel: a checkout saga that completes (the stock goes down once), one whose
 * payment fails (retried, then compensated in reverse order: the stock comes back), shown live
 * step by step.
 */
import type { Page } from '@playwright/test'
import { expect, test } from './fixtures.js'

async function checkout(page: Page, sku: string, qty: number, pay: 'ok' | 'fail'): Promise<void> {
  const form = page.locator('#saga-form')
  await form.getByRole('textbox', { name: 'Checkout SKU' }).fill(sku)
  await form.getByRole('spinbutton', { name: 'Checkout quantity' }).fill(String(qty))
  await form.getByRole('combobox', { name: 'Payment service' }).selectOption(pay)
  await form.getByRole('button', { name: 'Check out' }).click()
}

const stockOf = (page: Page, sku: string) => page.locator(`#products tr[data-sku="${sku}"] td`).nth(4)

test('demo checkout saga: completes once; a failing payment is retried, then compensated in reverse order', async ({ context }) => {
  const a = await context.newPage()
  await a.goto('/')
  await expect(a.locator('#status')).toHaveText('running')
  // Not used yet: nothing in the panel.
  expect(await a.evaluate(() => document.querySelectorAll('#sagas > li').length)).toBe(0)
  const before = Number(await stockOf(a, 'tea').textContent())

  await checkout(a, 'tea', 2, 'ok')
  const done = a.locator('#sagas > li[data-status="completed"]')
  await expect(done).toHaveCount(1)
  await expect(done.locator('li[data-kind="step_succeeded"]')).toHaveText([
    'step succeeded: create order',
    'step succeeded: reserve stock',
    'step succeeded: payment',
    'step succeeded: shipping',
  ])
  await expect(stockOf(a, 'tea')).toHaveText(String(before - 2))

  await checkout(a, 'tea', 3, 'fail')
  const failed = a.locator('#sagas > li[data-status="compensated"]')
  await expect(failed).toHaveCount(1, { timeout: 20_000 })
  // Three attempts (retries: 2), then the completed steps undone, the last one first.
  await expect(failed.locator('li[data-kind="step_failed"]')).toHaveCount(3)
  await expect(failed.locator('li[data-kind="compensation_succeeded"]')).toHaveText([
    'compensation succeeded: reserve stock',
    'compensation succeeded: create order',
  ])
  await expect(a.locator('#saga-status')).toContainText('compensated after payment failed')
  await expect(stockOf(a, 'tea')).toHaveText(String(before - 2))
})
