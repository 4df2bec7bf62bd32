/** The checker finds each anomaly in a hand-made history, and nothing in serializable ones. */
import { describe, expect, it } from 'vitest'
import { check, type Txn } from './checker.js'

const ok = (id: number, ...ops: Txn['ops']): Txn => ({ id, status: 'ok', ops })
const fail = (id: number, ...ops: Txn['ops']): Txn => ({ id, status: 'fail', ops })
const kinds = (h: Txn[]): string[] => [...new Set(check(h).map((a) => a.kind))].sort()

describe('Elle list-append checker', () => {
  it('finds nothing in a serial history', () => {
    expect(
      check([
        ok(1, ['r', 'x', []], ['append', 'x', 1]),
        ok(2, ['r', 'x', [1]], ['append', 'x', 2], ['r', 'y', []]),
        ok(3, ['append', 'y', 1], ['r', 'y', [1]]),
        ok(4, ['r', 'x', [1, 2]], ['r', 'y', [1]]),
      ]),
    ).toEqual([])
  })

  it('G1a: a read of an aborted append', () => {
    expect(kinds([fail(1, ['append', 'x', 1]), ok(2, ['r', 'x', [1]])])).toContain('G1a')
  })

  it('G1b: a read of an intermediate append', () => {
    expect(kinds([ok(1, ['append', 'x', 1], ['append', 'x', 2]), ok(2, ['r', 'x', [1]]), ok(3, ['r', 'x', [1, 2]])])).toContain('G1b')
  })

  it('G0: write cycle', () => {
    // T1 before T2 on x, T2 before T1 on y.
    const h = [ok(1, ['append', 'x', 1], ['append', 'y', 2]), ok(2, ['append', 'x', 2], ['append', 'y', 1]), ok(3, ['r', 'x', [1, 2]], ['r', 'y', [1, 2]])]
    expect(kinds(h)).toContain('G0')
  })

  it('G1c: a cycle of writes and reads', () => {
    const h = [ok(1, ['append', 'x', 1], ['r', 'y', [1]]), ok(2, ['append', 'y', 1], ['r', 'x', [1]])]
    expect(kinds(h)).toEqual(['G1c'])
  })

  it('G2-item: write skew', () => {
    const h = [ok(1, ['r', 'x', []], ['append', 'y', 1]), ok(2, ['r', 'y', []], ['append', 'x', 1]), ok(3, ['r', 'x', [1]], ['r', 'y', [1]])]
    expect(kinds(h)).toEqual(['G2-item'])
  })

  it('lost update: two appends after reading the same version', () => {
    const h = [ok(1, ['r', 'x', []], ['append', 'x', 1]), ok(2, ['r', 'x', []], ['append', 'x', 2]), ok(3, ['r', 'x', [1, 2]])]
    expect(kinds(h)).toContain('lost-update')
  })

  it('a transaction reading a key twice before appending is not a lost update', () => {
    expect(check([ok(1, ['r', 'x', []], ['r', 'x', []], ['append', 'x', 1]), ok(2, ['r', 'x', [1]])])).toEqual([])
  })

  it('lost update: a committed append missing from the final order', () => {
    expect(kinds([ok(1, ['append', 'x', 1]), ok(2, ['append', 'x', 2]), ok(3, ['r', 'x', [2]])])).toContain('lost-update')
  })

  it('incompatible orders, duplicates and garbage', () => {
    expect(kinds([ok(1, ['append', 'x', 1]), ok(2, ['append', 'x', 2]), ok(3, ['r', 'x', [1, 2]]), ok(4, ['r', 'x', [2, 1]])])).toContain('incompatible-order')
    expect(kinds([ok(1, ['append', 'x', 1]), ok(2, ['r', 'x', [1, 1]])])).toContain('duplicate')
    expect(kinds([ok(1, ['r', 'x', [7]])])).toContain('garbage')
  })
})
