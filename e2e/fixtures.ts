/**
 * Shared helpers for the browser tests. Import `test` and `expect` from here, not from
 * `@playwright/test`, to get the fixtures:
 *
 * - `harness`: the test's `page`, already on the harness with `window.webnesia` loaded.
 * - `dbName`: a database name no other test (or earlier run) uses.
 * - `profileDir`: a fresh folder under `.tmp/` for `launchPersistent`; removed after the test,
 *   after closing any persistent context still open on it.
 * - `freezable`: a browser whose tabs `freezePage` can freeze (see `launchFreezable`), closed after.
 *
 * and plain functions for the rest: a second tab (`openHarness(await context.newPage())`),
 * restarting the browser on one profile (`launchPersistent`), and faults through the DevTools
 * protocol (`crashPage`, `setQuota`, `freezePage`). See e2e/README.md.
 */
import { spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium, test as base, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test'
import { baseURL, chromiumPath, launchArgs, tmpRoot } from './browser.js'

export { expect } from '@playwright/test'
export { baseURL, chromiumPath, launchArgs } from './browser.js'

let counter = 0

/**
 * A name no other test uses, in this run or an earlier one: `prefix-<pid>-<n>-<random>`.
 * Use one per database, so tests sharing a browser context (or a profile) never see each other's data.
 */
export function uniqueName(prefix = 'db'): string {
  counter += 1
  return `${prefix}-${process.pid.toString(36)}-${counter.toString(36)}-${randomUUID().slice(0, 8)}`
}

/** Creates an empty folder under `.tmp/` (for a browser profile) and returns its absolute path. */
export async function freshDir(prefix = 'profile'): Promise<string> {
  await mkdir(tmpRoot, { recursive: true })
  return mkdtemp(join(tmpRoot, `${prefix}-`))
}

type PersistentOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>

const openPersistent = new Map<BrowserContext, string>()

/**
 * Starts a browser on the profile in `dir` (same Chromium and switches as the config, same baseURL),
 * so a test can close it and start it again on the same IndexedDB: `await ctx.close()` ends the
 * browser. Only one browser at a time may use a profile.
 *
 * @example
 * const dir = await freshDir()
 * let ctx = await launchPersistent(dir)
 * // … write, then: await ctx.close(); ctx = await launchPersistent(dir) … read back
 */
export async function launchPersistent(dir: string, options: PersistentOptions = {}): Promise<BrowserContext> {
  const executablePath = chromiumPath()
  const context = await chromium.launchPersistentContext(dir, {
    headless: true,
    baseURL: baseURL(),
    ...(executablePath ? { executablePath } : {}),
    ...options,
    args: [...launchArgs, ...(options.args ?? [])],
  })
  openPersistent.set(context, dir)
  context.once('close', () => openPersistent.delete(context))
  return context
}

/**
 * Opens the harness in `page` and waits until `window.webnesia` is there.
 * @throws Error with the page's own error when the library failed to load.
 */
export async function openHarness(page: Page): Promise<Page> {
  await page.goto(new URL('/e2e/harness.html', baseURL()).href)
  await page.waitForFunction(() => window.harnessReady === true || window.harnessError !== undefined, undefined, {
    timeout: 30_000,
  })
  const error = await page.evaluate(() => window.harnessError)
  if (error !== undefined) throw new Error(`the harness could not load webnesia:\n${error}`)
  return page
}

/**
 * Opens a page on the dev server's origin that loads no script (`e2e/blank.html`): for tests of
 * raw browser APIs (IndexedDB, BroadcastChannel, locks) that must not depend on the library.
 */
export async function openBlank(page: Page): Promise<Page> {
  await page.goto(new URL('/e2e/blank.html', baseURL()).href)
  return page
}

/**
 * Crashes the page's renderer (CDP `Page.crash`), as a killed tab: nothing after this runs in it.
 * Resolves once Playwright saw the crash. The CDP call itself never answers, so it is not awaited.
 */
export async function crashPage(page: Page): Promise<void> {
  const session = await page.context().newCDPSession(page)
  const crashed = page.waitForEvent('crash', { timeout: 15_000 })
  session.send('Page.crash').catch(() => undefined)
  await crashed
  // Not awaited either: detaching from a crashed target never answers.
  session.detach().catch(() => undefined)
}

const quotaSessions = new WeakMap<Page, CDPSession>()

/**
 * Sets the storage quota of the page's origin (CDP `Storage.overrideQuotaForOrigin`): commits past it
 * fail with `QuotaExceededError` (`navigator.storage.estimate()` still reports the real quota).
 * `null` removes the override. The page must be on the origin. The override lasts as long as the
 * CDP session that set it, so the session is kept for the page's life (Chromium drops the override
 * when the session detaches).
 */
export async function setQuota(page: Page, bytes: number | null): Promise<void> {
  const origin = new URL(page.url()).origin
  let session = quotaSessions.get(page)
  if (!session) {
    session = await page.context().newCDPSession(page)
    quotaSessions.set(page, session)
  }
  await session.send('Storage.overrideQuotaForOrigin', bytes === null ? { origin } : { origin, quotaSize: bytes })
  if (bytes === null) {
    quotaSessions.delete(page)
    await session.detach().catch(() => undefined)
  }
}

/**
 * Freezes the page (CDP `Page.setWebLifecycleState {state: 'frozen'}`), as Chromium does to a
 * background tab: it is hidden and its timers and promise jobs stop, while what it holds (a Web
 * Lock, an open IDB connection) stays held. Returns a function that makes it active again (it stays
 * hidden: `page.bringToFront()` shows it).
 *
 * Measured on Chromium 156: a frozen page still runs BroadcastChannel `onmessage` handlers, so a
 * release triggered by a message still happens; one that waits on a timer does not.
 *
 * Only pages of a `launchFreezable()` browser can be frozen: Playwright keeps the pages of its own
 * contexts visible (it turns on focus emulation, which Chromium implements as a screen capture),
 * and Chromium does not freeze a visible page. On such a page this throws instead of pretending.
 * Do not `page.evaluate` on a frozen page: the call waits until the page is resumed.
 * @throws Error when the page did not freeze.
 */
export async function freezePage(page: Page): Promise<() => Promise<void>> {
  const session = await page.context().newCDPSession(page)
  await session.send('Page.setWebLifecycleState', { state: 'frozen' })
  // Runtime.evaluate is answered even by a frozen page.
  const { result } = await session.send('Runtime.evaluate', { expression: 'document.visibilityState' })
  if (result.value !== 'hidden') {
    await session.send('Page.setWebLifecycleState', { state: 'active' })
    await session.detach().catch(() => undefined)
    throw new Error(
      'freezePage: Chromium did not freeze this page (it stays visible in a Playwright-launched context); ' +
        'open it in a launchFreezable() browser (the `freezable` fixture)',
    )
  }
  return async () => {
    await session.send('Page.setWebLifecycleState', { state: 'active' })
    await session.detach().catch(() => undefined)
  }
}

/** A browser started outside Playwright's launcher, so `freezePage` works on its tabs. */
export interface FreezableBrowser {
  /** Its one context: pages share IndexedDB, BroadcastChannel and Web Locks like tabs of one profile. */
  readonly context: BrowserContext
  readonly browser: Browser
  /** The profile folder. */
  readonly dir: string
  /** Closes the browser (and kills it if it does not exit within 5 s). */
  close(): Promise<void>
  /** SIGKILLs the browser process, as a power cut would end it: nothing gets to flush. */
  kill(): Promise<void>
}

/**
 * Starts Chromium with a DevTools port on loopback and connects to it with `noDefaults`, so
 * Playwright does not keep its pages visible. As the process is ours, `kill()` can also SIGKILL it
 * (a crash of the whole browser, for durability tests; pass the same `dir` to start it again).
 * Its pages are tabs of one window, as in a real browser: the newest (or the one given `bringToFront()`) is visible, the others are background
 * tabs, hidden and with timers throttled to about once a second. No `baseURL`: pass full URLs
 * (`openHarness` does).
 *
 * @example
 * const { context } = freezable          // the fixture; or await launchFreezable(dir)
 * const a = await openHarness(await context.newPage())
 * const b = await openHarness(await context.newPage())
 * const resume = await freezePage(a)     // a keeps its Web Lock; b waits for it
 * await resume()
 */
export async function launchFreezable(dir?: string): Promise<FreezableBrowser> {
  const profile = dir ?? (await freshDir('freezable'))
  const executable = chromiumPath() ?? chromium.executablePath()
  // A port file left by an earlier browser on this profile (killed, say) would point at a dead port.
  await rm(join(profile, 'DevToolsActivePort'), { force: true })
  const child = spawn(
    executable,
    // Port 0: Chromium picks a free loopback port and writes it to <profile>/DevToolsActivePort.
    ['--headless', ...launchArgs, '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'],
    { stdio: 'ignore' },
  )
  let spawnError: Error | undefined
  child.on('error', (error) => (spawnError = error))
  const exited = once(child, 'exit').catch(() => undefined)
  const kill = async (): Promise<void> => {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exited
  }
  try {
    const port = await devToolsPort(profile, child, () => spawnError)
    const browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { noDefaults: true })
    const context = browser.contexts()[0]
    if (!context) throw new Error('launchFreezable: the browser has no default context')
    const close = async (): Promise<void> => {
      // browser.close() only disconnects from a browser it did not launch: ask Chromium to quit.
      const session = await browser.newBrowserCDPSession().catch(() => undefined)
      session?.send('Browser.close').catch(() => undefined)
      const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)])
      if (!done) await kill()
      await browser.close().catch(() => undefined)
    }
    const killNow = async (): Promise<void> => {
      await kill()
      await browser.close().catch(() => undefined)
    }
    return { context, browser, dir: profile, close, kill: killNow }
  } catch (error) {
    await kill()
    throw error
  }
}

/** Waits for Chromium to write the port it listens on (`--remote-debugging-port=0`) into the profile. */
async function devToolsPort(
  profile: string,
  child: ReturnType<typeof spawn>,
  spawnError: () => Error | undefined,
): Promise<number> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    const error = spawnError()
    if (error) throw new Error(`launchFreezable: could not start Chromium: ${error.message}`, { cause: error })
    if (child.exitCode !== null) throw new Error(`launchFreezable: Chromium exited with code ${child.exitCode}`)
    const text = await readFile(join(profile, 'DevToolsActivePort'), 'utf8').catch(() => '')
    const port = Number(text.split('\n')[0])
    if (port > 0) return port
    await sleep(50)
  }
  throw new Error('launchFreezable: Chromium did not open its DevTools port within 30 s')
}

interface Fixtures {
  /** The test's page, on the harness, with `window.webnesia` loaded. */
  harness: Page
  /** A unique database name for this test. */
  dbName: string
  /** A fresh profile folder under `.tmp/`, removed after the test. */
  profileDir: string
  /** A browser whose tabs can be frozen (`launchFreezable`), closed and removed after the test. */
  freezable: FreezableBrowser
}

export const test = base.extend<Fixtures>({
  harness: async ({ page }, use, testInfo) => {
    const errors: string[] = []
    page.on('pageerror', (error) => errors.push(error.stack ?? error.message))
    await openHarness(page)
    await use(page)
    if (errors.length > 0 && testInfo.status !== testInfo.expectedStatus) {
      await testInfo.attach('page errors', { body: errors.join('\n\n'), contentType: 'text/plain' })
    }
  },
  // A fixture that uses no other fixture still takes the (empty) destructuring argument.
  dbName: async ({}, use) => {
    await use(uniqueName('db'))
  },
  profileDir: async ({}, use) => {
    const dir = await freshDir()
    await use(dir)
    for (const [context, contextDir] of openPersistent) {
      if (contextDir === dir) await context.close().catch(() => undefined)
    }
    await rm(dir, { recursive: true, force: true, maxRetries: 3 })
  },
  freezable: async ({}, use) => {
    const browser = await launchFreezable()
    try {
      await use(browser)
    } finally {
      await browser.close()
      await rm(browser.dir, { recursive: true, force: true, maxRetries: 3 })
    }
  },
})
