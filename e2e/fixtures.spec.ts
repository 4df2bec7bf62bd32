/**
 * Checks the fault helpers of fixtures.ts do what they say, on raw browser APIs in a blank page (not
 * the library, so these pass whatever state src/ is in), so a library test that uses them can trust them.
 */
import type { Page } from '@playwright/test'
import {
  crashPage,
  expect,
  freezePage,
  launchFreezable,
  launchPersistent,
  openBlank,
  setQuota,
  test,
  uniqueName,
} from './fixtures.js'

/** Writes `value` under `key` in database `name` (store `kv`), strict durability; resolves the error name on failure. */
async function idbPut(page: Page, name: string, key: string, value: unknown): Promise<string> {
  return page.evaluate(
    async ({ name, key, value }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name, 1)
        request.onupgradeneeded = () => request.result.createObjectStore('kv')
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('open failed'))
      })
      try {
        return await new Promise<string>((resolve) => {
          const tx = db.transaction('kv', 'readwrite', { durability: 'strict' })
          tx.objectStore('kv').put(value, key)
          tx.oncomplete = () => resolve('ok')
          tx.onabort = () => resolve(tx.error?.name ?? 'aborted')
        })
      } finally {
        db.close()
      }
    },
    { name, key, value },
  )
}

async function idbGet(page: Page, name: string, key: string): Promise<unknown> {
  return page.evaluate(
    async ({ name, key }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name, 1)
        request.onupgradeneeded = () => request.result.createObjectStore('kv')
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('open failed'))
      })
      const value = await new Promise<unknown>((resolve, reject) => {
        const request = db.transaction('kv').objectStore('kv').get(key)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('get failed'))
      })
      db.close()
      return value
    },
    { name, key },
  )
}

test('uniqueName never repeats', () => {
  const names = new Set(Array.from({ length: 1000 }, () => uniqueName('x')))
  expect(names.size).toBe(1000)
})

test('crashPage kills the tab; another tab of the context still reads what was committed', async ({
  context,
  page,
  dbName,
}) => {
  const tab = await openBlank(page)
  expect(await idbPut(tab, dbName, 'k', 'committed')).toBe('ok')
  await crashPage(tab)
  await expect(tab.evaluate(() => 1)).rejects.toThrow()
  const other = await openBlank(await context.newPage())
  expect(await idbGet(other, dbName, 'k')).toBe('committed')
})

test('setQuota makes a write past the quota fail with QuotaExceededError', async ({ page, dbName }) => {
  const tab = await openBlank(page)
  await setQuota(tab, 64 * 1024)
  expect(await idbPut(tab, dbName, 'big', 'x'.repeat(1024 * 1024))).toBe('QuotaExceededError')
  await setQuota(tab, null)
  expect(await idbPut(tab, dbName, 'big', 'x'.repeat(1024 * 1024))).toBe('ok')
})

test('freezePage refuses a page Playwright keeps visible', async ({ page }) => {
  const tab = await openBlank(page)
  await expect(freezePage(tab)).rejects.toThrow(/did not freeze/)
  expect(await tab.evaluate(() => 1)).toBe(1)
})

test('freezePage freezes a tab of a launchFreezable browser: its timers stop, its Web Lock stays held', async ({
  freezable,
}) => {
  const lock = uniqueName('lock')
  const a = await openBlank(await freezable.context.newPage())
  const b = await openBlank(await freezable.context.newPage())
  // Tab A takes the lock and lets it go 1.5 s later, on a timer.
  await a.evaluate(async (lock) => {
    await new Promise<void>((held) => {
      void navigator.locks.request(lock, async () => {
        held()
        await new Promise((resolve) => setTimeout(resolve, 1_500))
      })
    })
  }, lock)
  const resume = await freezePage(a)
  const request = (timeoutMs: number): Promise<string> =>
    b.evaluate(
      async ({ lock, timeoutMs }) => {
        try {
          return await navigator.locks.request(lock, { signal: AbortSignal.timeout(timeoutMs) }, () => 'acquired')
        } catch (error) {
          return (error as DOMException).name
        }
      },
      { lock, timeoutMs },
    )
  expect(await request(3_000)).toBe('TimeoutError') // frozen: A's timer never fires
  await resume()
  expect(await request(10_000)).toBe('acquired')
})

test('launchPersistent keeps IndexedDB across a browser restart', async ({ profileDir }) => {
  const name = uniqueName('durable')
  let context = await launchPersistent(profileDir)
  let page = await openBlank(context.pages()[0] ?? (await context.newPage()))
  expect(await idbPut(page, name, 'k', { survived: true })).toBe('ok')
  await context.close()

  context = await launchPersistent(profileDir)
  page = await openBlank(context.pages()[0] ?? (await context.newPage()))
  expect(await idbGet(page, name, 'k')).toEqual({ survived: true })
  await context.close()
})

test('a freezable browser killed with SIGKILL restarts on its profile with what was committed', async ({
  profileDir,
}) => {
  const name = uniqueName('killed')
  let browser = await launchFreezable(profileDir)
  try {
    const page = await openBlank(await browser.context.newPage())
    expect(await idbPut(page, name, 'k', 'strictly committed')).toBe('ok')
    await browser.kill()
    browser = await launchFreezable(profileDir)
    const again = await openBlank(await browser.context.newPage())
    expect(await idbGet(again, name, 'k')).toBe('strictly committed')
  } finally {
    await browser.close()
  }
})
