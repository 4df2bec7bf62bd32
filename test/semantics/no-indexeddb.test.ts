/** openDatabase where there is no IndexedDB (Node without fake-indexeddb): a typed error saying what to do. */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openDatabase, WebnesiaError } from '../../src/index.js'

const g = globalThis as { indexedDB?: unknown }
let saved: unknown
beforeEach(() => {
  saved = g.indexedDB
  delete g.indexedDB
})
afterEach(() => {
  g.indexedDB = saved
})

it("is a WebnesiaError 'not_supported' naming fake-indexeddb/auto, never a raw ReferenceError", async () => {
  const e = await openDatabase({ name: 'no-idb' }).then(
    () => undefined,
    (x: unknown) => x,
  )
  expect(e).toBeInstanceOf(WebnesiaError)
  expect((e as WebnesiaError).code).toBe('not_supported')
  expect((e as WebnesiaError).message).toMatch(/fake-indexeddb\/auto/)
  // argument errors still come first
  await expect(openDatabase({ name: '' })).rejects.toMatchObject({ code: 'badarg' })
})
