/**
 * Proves the infrastructure, not the library: the harness loads webnesia in real Chromium, and two
 * tabs of one context share IndexedDB and BroadcastChannel (what cross-tab tests build on).
 */
import { expect, openBlank, openHarness, test, uniqueName } from './fixtures.js'

test('the harness exposes webnesia in two tabs of one context', async ({ context }) => {
  const [a, b] = await Promise.all([openHarness(await context.newPage()), openHarness(await context.newPage())])
  for (const page of [a, b]) {
    expect(await page.evaluate(() => typeof window.webnesia.openDatabase)).toBe('function')
  }
})

test('IndexedDB and BroadcastChannel work between two tabs of one context', async ({ context }) => {
  const dbName = uniqueName('smoke-idb')
  const channel = uniqueName('smoke-bc')
  // Raw browser APIs only: two tabs on the dev server's origin, whether or not the library loads.
  const [a, b] = await Promise.all([openBlank(await context.newPage()), openBlank(await context.newPage())])

  // Tab B listens first: when the message comes, it reads the value tab A wrote, from IndexedDB.
  const received = b.evaluate(
    async ({ dbName, channel }) => {
      const key = await new Promise<string>((resolve) => {
        const bc = new BroadcastChannel(channel)
        bc.onmessage = (event: MessageEvent<{ key: string }>) => {
          bc.close()
          resolve(event.data.key)
        }
        ;(window as unknown as { listening: boolean }).listening = true
      })
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(dbName, 1)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('open failed'))
      })
      const value = await new Promise<unknown>((resolve, reject) => {
        const request = db.transaction('kv').objectStore('kv').get(key)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('get failed'))
      })
      db.close()
      return { key, value }
    },
    { dbName, channel },
  )
  await b.waitForFunction(() => (window as unknown as { listening?: boolean }).listening === true)

  await a.evaluate(
    async ({ dbName, channel }) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(dbName, 1)
        request.onupgradeneeded = () => request.result.createObjectStore('kv')
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error ?? new Error('open failed'))
      })
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction('kv', 'readwrite', { durability: 'strict' })
        tx.objectStore('kv').put({ hello: 'from tab A', at: new Date(0) }, 'k1')
        tx.oncomplete = () => resolve()
        tx.onerror = () => reject(tx.error ?? new Error('commit failed'))
      })
      db.close()
      const bc = new BroadcastChannel(channel)
      bc.postMessage({ key: 'k1' })
      bc.close()
    },
    { dbName, channel },
  )

  expect(await received).toEqual({ key: 'k1', value: { hello: 'from tab A', at: new Date(0) } })
})
