/**
 * The library compiled to JavaScript once per test run, for child processes (crash and lock
 * tests run the edge node in a process of its own, which plain Node cannot load from TypeScript).
 */
import { execFile } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'

const root = join(import.meta.dirname, '..', '..')
/** Where the compiled library goes (git-ignored). */
export const LIB = join(root, '.tmp', `node-lib-${String(process.pid)}`)

let building: Promise<void> | null = null

/** Compiles src/ to {@link LIB} (once per process). */
export function compiledLib(): Promise<string> {
  building ??= (async () => {
    if (existsSync(join(LIB, 'index.js'))) return
    await promisify(execFile)(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', LIB, '--declaration', 'false', '--declarationMap', 'false', '--sourceMap', 'false'],
      { cwd: root },
    )
  })()
  return building.then(() => LIB)
}

/** Deletes the compiled library (afterAll of the tests that used it). */
export function removeCompiledLib(): void {
  rmSync(LIB, { recursive: true, force: true })
  building = null
}
