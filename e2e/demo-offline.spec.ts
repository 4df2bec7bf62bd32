/**
 * The built demo is a PWA: after one visit its service worker serves the page and its assets, so it
 * loads offline, with the data written before. Builds the demo into `.tmp/` (the dev server the other
 * tests use has no service worker) and serves it with `vite preview` on a free loopback port.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { build, preview, type InlineConfig, type PreviewServer } from 'vite'
import { projectRoot } from './browser.js'
import { expect, freshDir, test } from './fixtures.js'

let server: PreviewServer | undefined
let outDir = ''
let origin = ''

test.beforeAll(async () => {
  outDir = await freshDir('demo-offline')
  const config: InlineConfig = {
    configFile: join(projectRoot, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, sourcemap: false },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  }
  await build(config)
  server = await preview(config)
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('vite preview reported no local URL')
  origin = new URL(url).origin
})

test.afterAll(async () => {
  await server?.close()
  if (outDir) await rm(outDir, { recursive: true, force: true, maxRetries: 3 })
})

test('demo offline: after one visit the page loads without the network and keeps its data', async ({
  page,
  context,
}) => {
  await page.goto(`${origin}/`)
  await expect(page.locator('#status')).toHaveText('running')
  // The service worker has precached everything once it is active; a reload puts the page under it.
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready
  })
  await page.reload()
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true)
  await expect(page.locator('#status')).toHaveText('running')

  const sku = `fig${String(Date.now() % 100000)}`
  const form = page.locator('#product-form')
  await form.getByRole('textbox', { name: 'SKU', exact: true }).fill(sku)
  await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Black fig')
  await form.getByRole('textbox', { name: 'Category', exact: true }).fill('fruit')
  await form.getByRole('button', { name: 'Save' }).click()
  const row = page.locator(`tr[data-sku="${sku}"]`)
  await expect(row).toContainText('Black fig')

  await context.setOffline(true)
  const response = await page.reload()
  expect(response?.fromServiceWorker()).toBe(true)
  await expect(page.locator('#status')).toHaveText('running')
  await expect(row).toContainText('Black fig')
})
