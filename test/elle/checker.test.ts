/**
 * The checker finds each anomaly in a hand-made history (with the transactions involved), and
 * nothing in serializable ones: the browser test that expects zero anomalies can fail.
 */
import { describe, expect, it } from 'vitest'
import { check, type Anomaly, type Txn } from './checker.js'

const ok = (id: number, ...ops: Txn['ops']): Txn => ({ id, status: 'ok', ops })
const fail = (id: number, ...ops: Txn['ops']): Txn => ({ id, status: 'fail', ops })
const info = (id: number, ...ops: Txn['ops']): Txn => ({ id, status: 'info', ops })
const kinds = (h: Txn[]): string[] => [...new Set(check(h).map((a) => a.kind))].sort()
const only = (h: Txn[], kind: Anomaly['kind']): Anomaly[] => check(h).filter((a) => a.kind === kind)

describe('Elle list-append checker: valid histories', () => {
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

  it('finds nothing in a serializable history listed out of order, with aborted and unknown transactions', () => {
    // Serial order T3, T1, T2, T4; T5 aborted (never seen); T6 unknown and seen; T7 unknown and not seen.
    const h = [
      ok(1, ['r', 'x', [3]], ['append', 'x', 1], ['r', 'x', [3, 1]], ['append', 'y', 1]),
      ok(2, ['r', 'y', [1]], ['append', 'y', 2], ['append', 'y', 3], ['r', 'x', [3, 1]]),
      ok(3, ['append', 'x', 3], ['r', 'z', []]),
      fail(5, ['append', 'x', 5], ['r', 'y', null]),
      info(6, ['append', 'z', 6]),
      info(7, ['append', 'z', 7]),
      ok(4, ['r', 'x', [3, 1]], ['r', 'y', [1, 2, 3]], ['r', 'z', [6]]),
    ]
    expect(check(h, { finalTxn: 4 })).toEqual([])
  })

  it('a transaction reading a key twice before appending is not a lost update', () => {
    expect(check([ok(1, ['r', 'x', []], ['r', 'x', []], ['append', 'x', 1]), ok(2, ['r', 'x', [1]])])).toEqual([])
  })

  it('a long chain of dependencies is no cycle (and does not overflow the stack)', () => {
    // T0 -wr-> T1 -wr-> … -wr-> T49999, each reading what the one before appended.
    const h: Txn[] = [ok(0, ['append', 0, 0])]
    for (let i = 1; i < 50_000; i++) h.push(ok(i, ['r', i - 1, [i - 1]], ['append', i, i]))
    expect(check(h)).toEqual([])
  })
})

describe('Elle list-append checker: anomalies', () => {
  it('G1a: a read of an aborted append', () => {
    const found = only([fail(1, ['append', 'x', 1]), ok(2, ['r', 'x', [1]])], 'G1a')
    expect(found.map((a) => a.txns)).toEqual([[1, 2]])
  })

  it('G1b: a read of an intermediate append', () => {
    const found = only([ok(1, ['append', 'x', 1], ['append', 'x', 2]), ok(2, ['r', 'x', [1]]), ok(3, ['r', 'x', [1, 2]])], 'G1b')
    expect(found.map((a) => a.txns)).toEqual([[1, 2]])
  })

  it('G0: a write cycle', () => {
    // T1 before T2 on x, T2 before T1 on y.
    const h = [ok(1, ['append', 'x', 1], ['append', 'y', 2]), ok(2, ['append', 'x', 2], ['append', 'y', 1]), ok(3, ['r', 'x', [1, 2]], ['r', 'y', [1, 2]])]
    expect(kinds(h)).toEqual(['G0'])
    const [g0] = only(h, 'G0')
    expect(g0?.txns).toEqual([1, 2])
    expect(g0?.detail).toMatch(/^T1 -ww\(x\)-> T2 -ww\(y\)-> T1$|^T2 -ww\(y\)-> T1 -ww\(x\)-> T2$/)
  })

  it('G1c: a cycle of writes and reads', () => {
    const h = [ok(1, ['append', 'x', 1], ['r', 'y', [1]]), ok(2, ['append', 'y', 1], ['r', 'x', [1]])]
    expect(kinds(h)).toEqual(['G1c'])
    expect(only(h, 'G1c')[0]?.txns).toEqual([1, 2])
  })

  it('G2-item: write skew', () => {
    const h = [ok(1, ['r', 'x', []], ['append', 'y', 1]), ok(2, ['r', 'y', []], ['append', 'x', 1]), ok(3, ['r', 'x', [1]], ['r', 'y', [1]])]
    expect(kinds(h)).toEqual(['G2-item'])
    const [g2] = only(h, 'G2-item')
    expect(g2?.txns).toEqual([1, 2])
    expect(g2?.detail).toContain('-rw(')
  })

  it('G2-item: a cycle of three through one anti-dependency', () => {
    // T1 -wr(x)-> T2 -wr(y)-> T3 -rw(z)-> T1: T3 read z before T1's append, yet saw T2 which saw T1.
    const h = [
      ok(1, ['append', 'x', 1], ['append', 'z', 1]),
      ok(2, ['r', 'x', [1]], ['append', 'y', 2]),
      ok(3, ['r', 'y', [2]], ['r', 'z', []]),
      ok(4, ['r', 'z', [1]]),
    ]
    expect(kinds(h)).toEqual(['G2-item'])
    expect(only(h, 'G2-item')[0]?.txns).toEqual([1, 2, 3])
  })

  it('lost update: two appends after reading the same version', () => {
    const h = [ok(1, ['r', 'x', []], ['append', 'x', 1]), ok(2, ['r', 'x', []], ['append', 'x', 2]), ok(3, ['r', 'x', [1, 2]])]
    expect(only(h, 'lost-update').map((a) => a.txns)).toEqual([[1, 2]])
  })

  it('lost update: a committed append missing from the final read', () => {
    const h = [ok(1, ['append', 'x', 1]), ok(2, ['append', 'x', 2]), ok(3, ['r', 'x', [2]])]
    expect(only(h, 'lost-update')).toEqual([]) // without a final read, T3 may have run before T1
    expect(check(h, { finalTxn: 3 }).map((a) => [a.kind, a.txns])).toEqual([['lost-update', [1]]])
  })

  it('incompatible orders, duplicates, garbage and a read missing its own appends', () => {
    const incompatible = only([ok(1, ['append', 'x', 1]), ok(2, ['append', 'x', 2]), ok(3, ['r', 'x', [1, 2]]), ok(4, ['r', 'x', [2, 1]])], 'incompatible-order')
    expect(incompatible.map((a) => a.txns)).toEqual([[4]])
    expect(only([ok(1, ['append', 'x', 1]), ok(2, ['r', 'x', [1, 1]])], 'duplicate').map((a) => a.txns)).toEqual([[2]])
    expect(only([ok(1, ['append', 'x', 1]), ok(2, ['append', 'x', 1])], 'duplicate').map((a) => a.txns)).toEqual([[1, 2]])
    expect(only([ok(1, ['r', 'x', [7]])], 'garbage').map((a) => a.txns)).toEqual([[1]])
    expect(only([ok(1, ['append', 'x', 2]), ok(2, ['append', 'x', 1], ['r', 'x', [1, 2]])], 'internal').map((a) => a.txns)).toEqual([[2]])
  })

  it('ignores what aborted transactions read', () => {
    expect(check([fail(1, ['r', 'x', [9]]), ok(2, ['append', 'x', 1]), ok(3, ['r', 'x', [1]])])).toEqual([])
  })
})
