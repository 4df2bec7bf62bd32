/**
 * Match specifications against Erlang/OTP 25 (mnesia:dirty_select on a ram_copies table r [k, v]
 * holding {r, 1, "s"} and {r, 2, 5}; results sorted; the answers quoted are what `erl` printed).
 * Erlang's tuples are arrays here, its atoms strings: 'EXIT' is the string 'EXIT'.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { BadMatchSpecError, type Database } from '../../src/index.js'
import { compareTerms } from '../../src/query/term-order.js'
import { fresh } from '../node/helpers.js'

let db: Database
beforeEach(async () => {
  ;[db] = (await fresh()) as [Database]
  await db.createTable('r', { attributes: ['k', 'v'], storage: 'ram_copies' })
  await db.dirtyWrite('r', { k: 1, v: 's' })
  await db.dirtyWrite('r', { k: 2, v: 5 })
})
afterEach(() => db.close())

const H = { k: '$1', v: '$2' }
const sel = async (spec: unknown): Promise<unknown[]> => [...(await db.dirtySelect('r', spec))].sort(compareTerms)

describe('a body call that fails is the value EXIT in its own place', () => {
  const cases: [string, unknown, unknown[]][] = [
    // template: {ok,[[1,'EXIT'],[2,6]]}
    ['a list template', [[H, [], [['$1', ['+', '$2', 1]]]]], [[1, 'EXIT'], [2, 6]]],
    // map template: {ok,[#{a => 6},#{a => 'EXIT'}]}
    ['a map template', [[H, [], [{ a: ['+', '$2', 1] }]]], [{ a: 6 }, { a: 'EXIT' }]],
    // template in list in exit: {ok,[[[1,'EXIT']],[[2,6]]]}
    ['a nested template', [[H, [], [[['$1', ['+', '$2', 1]]]]]], [[[1, 'EXIT']], [[2, 6]]]],
    // fail first: {ok,[1,2]}
    ['a failing expression before the last is ignored', [[H, [], [['+', '$2', 1], '$1']]], [1, 2]],
    // fail last: {ok,[6,'EXIT']}
    ['a failing last expression', [[H, [], ['$1', ['+', '$2', 1]]]], [6, 'EXIT']],
    // cmp over exit: {ok,[false,true]}
    ['a comparison compares EXIT', [[H, [], [['==', ['+', '$2', 1], 'EXIT']]]], [false, true]],
    // eq exit exit: {ok,[false,true]}
    ['two failures compare equal', [[H, [], [['=:=', ['+', '$2', 1], ['+', '$2', 2]]]]], [false, true]],
    // is_integer exit: {ok,[false,true]}
    ['a type test of EXIT', [[H, [], [['is_integer', ['+', '$2', 1]]]]], [false, true]],
    // is_binary exit: {ok,[false,false]}  ('EXIT' is an atom, not a binary, though webnesia returns it as a string)
    ['a string test of EXIT is false', [[H, [], [['is_string', ['+', '$2', 1]]]]], [false, false]],
    // nested arith exit: {ok,[7,'EXIT']}
    ['arithmetic on EXIT fails again', [[H, [], [['+', ['+', '$2', 1], 1]]]], [7, 'EXIT']],
    // andalso over exit: {ok,['EXIT','EXIT']}  (6 andalso true is not boolean either)
    ['andalso over EXIT', [[H, [], [['andalso', ['+', '$2', 1], true]]]], ['EXIT', 'EXIT']],
    // orelse false first: {ok,[6,'EXIT']}  (the last operand is returned as it is)
    ['orelse returns its last operand as it is', [[H, [], [['orelse', false, ['+', '$2', 1]]]]], [6, 'EXIT']],
    // andalso true 5: {ok,["s",5]}
    ['andalso returns its last operand as it is', [[H, [], [['andalso', true, '$2']]]], [5, 's']],
    // andalso false exit: {ok,[false,false]}
    ['andalso stops at false', [[H, [], [['andalso', false, ['+', '$2', 1]]]]], [false, false]],
    // div zero: {ok,['EXIT','EXIT']}
    ['division by zero', [[H, [], [['div', '$1', 0]]]], ['EXIT', 'EXIT']],
    // element exit arg: {ok,['EXIT',6]}
    ['element of a template holding EXIT', [[H, [], [['element', 1, [['+', '$2', 1]]]]]], ['EXIT', 6]],
    // two clauses: {ok,[6,'EXIT']}  (the first clause matched: its EXIT is the result)
    ['a clause whose body fails is still the result', [[H, [], [['+', '$2', 1]]], [H, [], ['$1']]], [6, 'EXIT']],
    // body $_ with exit: {ok,[{{r,1,"s"},'EXIT'},{{r,2,5},10}]}
    ['the record beside EXIT', [[H, [], [['$_', ['*', '$2', 2]]]]], [[{ k: 1, v: 's' }, 'EXIT'], [{ k: 2, v: 5 }, 10]]],
  ]
  it.each(cases)('%s', async (_name, spec, want) => {
    expect(await sel(spec)).toEqual([...want].sort(compareTerms))
  })
})

describe('guards', () => {
  it('a guard that fails fails its clause, and the next clause is tried', async () => {
    // guard fail: {ok,[2]};  fail then next clause: {ok,[2,x]}
    expect(await sel([[H, [['>', ['+', '$2', 1], 0]], ['$1']]])).toEqual([2])
    expect(await sel([[H, [['>', ['+', '$2', 1], 0]], ['$1']], ['_', [], ['x']]])).toEqual([2, 'x'])
    // guard eq EXIT: {ok,[]}  (in a guard the failure is not a value)
    expect(await sel([[H, [['==', ['+', '$2', 1], 'EXIT']], ['$1']]])).toEqual([])
    // guard orelse: {ok,[2]}  (a failure inside orelse fails the whole guard)
    expect(await sel([[H, [['orelse', ['>', ['+', '$2', 1], 0], true]], ['$1']]])).toEqual([2])
    // guard andalso true 5: {ok,[]};  guard andalso true true: {ok,[2]}
    expect(await sel([[H, [['andalso', true, '$2']], ['$1']]])).toEqual([])
    expect(await sel([[H, [['andalso', true, ['is_integer', '$2']]], ['$1']]])).toEqual([2])
  })
})

describe('the empty specification', () => {
  it('selects nothing (OTP: dirty_select(r, []) → [], in a transaction → [], chunked → $end_of_table)', async () => {
    expect(await db.dirtySelect('r', [])).toEqual([])
    expect(await db.dirtySelect('r', [], 10)).toBeNull()
    expect(await db.transaction((t) => t.select('r', []))).toEqual([])
    expect(await db.transaction((t) => t.select('r', [], 5))).toBeNull()
  })
  it('an empty body is still badarg (OTP: {aborted,{badarg,[r,[{{r,$1,$2},[],[]}]]}})', async () => {
    await expect(db.dirtySelect('r', [[H, [], []]])).rejects.toBeInstanceOf(BadMatchSpecError)
  })
})
