/** `scripts/check-tsdoc.mjs` (`npm run docs:check`) finds exactly the undocumented public API of a fixture. */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { checkTsdoc, entryFiles } from '../../scripts/check-tsdoc.mjs'

const dir = fileURLToPath(new URL(`../../.tmp/tsdoc-fixture-${String(process.pid)}/`, import.meta.url))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('lists exports and public members without TSDoc, functions without @throws, main entry points without @example', () => {
  mkdirSync(dir, { recursive: true })
  writeFileSync(
    `${dir}impl.ts`,
    `/**
 * Opens it.
 * @throws {Error} never
 * @example
 * open()
 */
export function open(): void {}
/** Documented, but says nothing of what it throws. */
export function quiet(): void {}
export const bare = (): number => 1
/** A thing. */
export class Thing {
  /** Runs. @throws {Error} when it cannot */
  run(): void {}
  walk(): void {}
  /** @internal */
  hidden(): void {}
  private secret(): void {}
  /** The size. */
  get size(): number { return 1 }
}
/** Options. */
export interface Opts {
  /** Documented. */
  a: number
  b: string
}
`,
  )
  writeFileSync(`${dir}index.ts`, `export { open, quiet, bare, Thing } from './impl.js'\nexport type { Opts } from './impl.js'\n`)
  const { findings, checked } = checkTsdoc([`${dir}index.ts`], { main: ['open', 'Thing.run'], lib: ['lib.es5.d.ts'] })
  expect(findings.map((f) => `${f.kind} ${f.name}`).sort()).toEqual(
    ['example Thing.run', 'throws quiet', 'tsdoc bare', 'throws bare', 'tsdoc Thing.walk', 'throws Thing.walk', 'tsdoc Opts.b'].sort(),
  )
  expect(checked).toBe(10) // open quiet bare Thing run walk size Opts a b
  expect(findings.find((f) => f.name === 'bare')?.where).toMatch(/impl\.ts:10$/)
})

it("the package's entry points come from package.json exports", () => {
  expect(entryFiles().some((f) => f.endsWith('/src/index.ts'))).toBe(true)
})
