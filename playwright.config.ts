/**
 * Browser tests (e2e/*.spec.ts) in real Chromium against the Vite dev server.
 *
 * - Port: `$E2E_PORT`, else a free loopback port picked once by the runner and handed to the workers
 *   through the environment (so several runs on one machine never collide).
 * - `E2E_REUSE_SERVER=1` reuses a server already listening on `$E2E_PORT` (start one with
 *   `WEBNESIA_E2E=1 npx vite --port 5199` and run `E2E_PORT=5199 E2E_REUSE_SERVER=1 npx playwright test`).
 * - Temp files (TMPDIR) go to `.tmp/`, results to `test-results/`; both git-ignored.
 */
import { createServer } from 'node:net'
import { defineConfig } from '@playwright/test'
import { chromiumPath, launchArgs, useProjectTmp } from './e2e/browser.js'

useProjectTmp()

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

process.env['E2E_PORT'] ??= String(await freePort())
const port = Number(process.env['E2E_PORT'])
const baseURL = `http://127.0.0.1:${port}`
process.env['E2E_BASE_URL'] = baseURL

const executablePath = chromiumPath()

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env['CI'],
  reporter: 'list',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    baseURL,
    headless: true,
    trace: 'off',
    launchOptions: {
      ...(executablePath ? { executablePath } : {}),
      args: [...launchArgs],
    },
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort --host 127.0.0.1`,
    url: `${baseURL}/e2e/harness.html`,
    env: { WEBNESIA_E2E: '1' },
    reuseExistingServer: process.env['E2E_REUSE_SERVER'] === '1',
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
})
