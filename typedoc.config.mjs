/**
 * `npm run docs`: the API reference (typedoc) in `api-docs/` (git-ignored). One entry point per
 * `exports` entry of package.json whose source exists (`.` → src/index.ts, `./react` → src/react.ts).
 */
import { existsSync, readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const entryPoints = Object.values(pkg.exports)
  .map((e) => e.import.replace('./dist/', './src/').replace(/\.js$/, '.ts'))
  .filter((f) => existsSync(new URL(f, import.meta.url)))

/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  entryPoints,
  tsconfig: 'tsconfig.build.json',
  out: 'api-docs',
  name: 'webnesia',
  readme: 'README.md',
  excludePrivate: true,
  excludeInternal: true,
  includeVersion: true,
  sort: ['source-order'],
  validation: { notExported: true, invalidLink: true, notDocumented: false },
}
