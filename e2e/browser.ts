/**
 * Which Chromium the browser tests run and how it is started. Imported by `playwright.config.ts`
 * and by `fixtures.ts` (for `launchPersistent`), so both start the same browser the same way.
 * Plain Node: no Playwright import here, so the config can load it without side effects.
 *
 * Rules from shared/TESTING.md: Debian's `/usr/bin/chromium` (or `$CHROMIUM_PATH`); Playwright's own
 * browser only when neither exists (a newcomer's machine); never `npx playwright install` in CI.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The project's root folder (absolute, with a trailing slash). */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url))

/** Scratch space for browser profiles and Playwright's temp files; git-ignored. */
export const tmpRoot = fileURLToPath(new URL('../.tmp/', import.meta.url))

/**
 * The Chromium to launch: `$CHROMIUM_PATH`, else `/usr/bin/chromium` when it exists, else
 * `undefined` (Playwright's own browser).
 */
export function chromiumPath(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH']
  if (fromEnv) return fromEnv
  return existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined
}

/**
 * Headless switches that keep Chromium quiet on a closed network (TESTING.md): no background
 * traffic, and every host name but localhost / 127.0.0.1 resolves to nothing.
 *
 * Playwright passes its own `--disable-features=…`; adding a second one REPLACES it, so a test
 * that needs one must repeat Playwright's list and append to it.
 */
export const launchArgs: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1',
  // WebRTC between contexts on one machine: loopback candidates (with the microphone permission
  // granted, Chromium gathers them; inside the test namespace loopback is all there is).
  '--allow-loopback-in-peer-connection',
])

/** Creates `.tmp/` and points TMPDIR there, so Playwright and Chromium leave nothing in /tmp. */
export function useProjectTmp(): string {
  mkdirSync(tmpRoot, { recursive: true })
  process.env['TMPDIR'] = tmpRoot
  return tmpRoot
}

/**
 * The dev server's origin, as the config computed it (`http://127.0.0.1:PORT`). Set in the
 * environment by `playwright.config.ts`, so the worker processes agree with the runner.
 */
export function baseURL(): string {
  const url = process.env['E2E_BASE_URL']
  if (!url) throw new Error('E2E_BASE_URL is not set: run the browser tests through `npx playwright test`')
  return url
}
