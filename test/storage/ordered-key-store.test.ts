/**
 * The ordered_set key store before and after `sorted-btree` arrives (storage/key-store.ts): the
 * tree is loaded with a dynamic import, a store made before it is a hash store in term order, and
 * moves into a tree once it is loaded, without losing a key or the order of a walk under way.
 */
import { describe, expect, it } from 'vitest'
import { loadBTree, loadedBTree } from '../../src/storage/btree.js'
import { OrderedKeyStore, type Slot } from '../../src/storage/key-store.js'
import type { Key } from '../../src/storage/term.js'

const slot = (key: Key, v = 1): Slot => ({ key, recs: [{ k: key }], v })
const keys = (it: Iterable<Slot>): Key[] => [...it].map((s) => s.key)

describe('OrderedKeyStore', () => {
  it('starts as a hash store in term order, moves into a tree when sorted-btree is loaded, and a walk under way goes on', async () => {
    expect(loadedBTree()).toBeNull() // nothing in this file loaded it yet
    const store = new OrderedKeyStore()
    expect(store.isTree).toBe(false)
    for (const k of [5, 'b', 1, [2], 3, 'a']) store.set(slot(k))
    expect(keys(store.walk({}, false))).toEqual([1, 3, 5, 'a', 'b', [2]])
    expect([store.first(), store.last(), store.next(3), store.prev('a')]).toEqual([1, [2], 5, 5])

    const walk = store.walk({}, false)
    expect((walk.next().value as Slot).key).toBe(1)
    await loadBTree()
    expect(store.isTree).toBe(true)
    store.delete(5) // after the move: the walk begun in the hash store must not yield it
    const changed = slot(3, 9)
    store.set(changed)
    const rest = [...walk]
    expect(rest.map((s) => s.key)).toEqual([3, 'a', 'b', [2]])
    expect(rest[0]).toBe(changed)

    expect(store.size).toBe(5)
    store.set(slot(4))
    expect(keys(store.walk({ lower: 3, upper: 'b', upperOpen: true }, false))).toEqual([3, 4, 'a'])
    expect(keys(store.walk({}, true))).toEqual([[2], 'b', 'a', 4, 3, 1])
    expect(new OrderedKeyStore().isTree).toBe(true) // made after the load: a tree at once
  })
})
