// @vitest-environment happy-dom
/**
 * `useLiveQuery` (webnesia/react) in a real React root: the component renders `undefined`, then
 * the query's value, and re-renders when another tab commits; new deps make a new query; an
 * unmounted component's query stops; typed handles type the hook's result.
 */
import { act, createElement, useState, type ReactElement } from 'react'
import { createRoot } from 'react-dom/client'
import { afterEach, expect, it } from 'vitest'
import { openDatabase, type Database, type TableSchema } from '../../src/index.js'
import { useLiveQuery } from '../../src/react.js'
import { uniqueName } from '../node/helpers.js'

declare global {
  var IS_REACT_ACT_ENVIRONMENT: boolean | undefined
}
globalThis.IS_REACT_ACT_ENVIRONMENT = true

type Shop = { stock: TableSchema<{ sku: string; count: number }, 'sku'> }

const open: Database[] = []
afterEach(async () => {
  for (const db of open.splice(0)) await db.close()
})

/** Resolves once `pred` holds, re-checking after each React commit (no sleeps: awaits renders). */
async function until(pred: () => boolean, rendered: { next: Promise<void> }): Promise<void> {
  while (!pred()) await act(() => rendered.next)
}

it('renders the value, follows another tab, remakes the query on new deps, stops on unmount', async () => {
  const name = uniqueName('react')
  const a = await openDatabase<Shop>({ name })
  const b = await openDatabase<Shop>({ name })
  open.push(a as unknown as Database, b as unknown as Database)
  await a.createTable('stock', { attributes: ['sku', 'count'] })
  await a.dirtyWrite('stock', { sku: 'apple', count: 1 })
  await a.dirtyWrite('stock', { sku: 'pear', count: 7 })
  await b.waitForTables(['stock'])

  const seen: (string | undefined)[] = []
  let notify: () => void = () => undefined
  const rendered = {
    get next(): Promise<void> {
      return new Promise((resolve) => (notify = resolve))
    },
  }
  let setSku: (s: string) => void = () => undefined
  function Stock(): ReactElement {
    const [sku, set] = useState('apple')
    setSku = set
    const count = useLiveQuery(a, async (t) => (await t.read('stock', sku))[0]?.count, [sku])
    const text = count === undefined ? undefined : `${sku}=${String(count)}`
    seen.push(text)
    queueMicrotask(() => notify())
    return createElement('span', null, text ?? '…')
  }
  const el = document.createElement('div')
  const root = createRoot(el)
  await act(() => Promise.resolve(root.render(createElement(Stock))))
  expect(seen[0]).toBeUndefined()
  await until(() => el.textContent === 'apple=1', rendered)
  await b.dirtyWrite('stock', { sku: 'apple', count: 2 })
  await until(() => el.textContent === 'apple=2', rendered)
  await act(() => Promise.resolve(setSku('pear')))
  await until(() => el.textContent === 'pear=7', rendered)
  await act(() => Promise.resolve(root.unmount()))
  const renders = seen.length
  await b.dirtyWrite('stock', { sku: 'pear', count: 8 })
  await a.dirtyWrite('stock', { sku: 'pear', count: 9 })
  expect(seen.length).toBe(renders)
})
