/** Term order = IndexedDB key order, checked against Chromium's own indexedDB.cmp. */
import { expect, test } from './fixtures.js'

test('compareKeys agrees with indexedDB.cmp on 5,000 random key pairs (binary included)', async ({ harness }) => {
  const mismatches = await harness.evaluate(() => {
    let x = 12345
    const rnd = (n: number): number => ((x = (x * 1103515245 + 12345) % 2147483648), Math.floor((x / 2147483648) * n))
    const leaf = (): unknown => {
      switch (rnd(7)) {
        case 0:
          return [0, -0, 1, -1, 2.5, Infinity, -Infinity, Number.MIN_VALUE, 1e300][rnd(9)]
        case 1:
          return ['', 'a', 'ab', 'b', '\u0000', '\uffff', '\ud83d\ude00', 'A'][rnd(8)]
        case 2:
          return new Date([0, -1, 1, 8.64e15, -8.64e15][rnd(5)] as number)
        case 3:
          return Uint8Array.from({ length: rnd(3) }, () => rnd(256))
        case 4:
          return new Uint8Array([0, 255, 1].slice(0, rnd(4))).buffer
        case 5:
          return new Int16Array([rnd(3) - 1])
        default:
          return rnd(10) - 5
      }
    }
    const key = (depth: number): unknown => (depth < 3 && rnd(3) === 0 ? Array.from({ length: rnd(3) }, () => key(depth + 1)) : leaf())
    const bad: string[] = []
    for (let i = 0; i < 5000; i++) {
      const a = key(0)
      const b = key(0)
      const mine = Math.sign(webnesia.compareKeys(a, b))
      const theirs = indexedDB.cmp(a, b)
      if (mine !== theirs) bad.push(`${String(a)} vs ${String(b)}: ${String(mine)} / ${String(theirs)}`)
    }
    return bad
  })
  expect(mismatches).toEqual([])
})
