#!/usr/bin/env node
/**
 * `npm run docs:check`: lists the public API lacking documentation — every export of the package's
 * entry points (package.json `exports` → src/*.ts), the public members of exported classes and the
 * members of exported interfaces:
 *   - no TSDoc at all;
 *   - no `@throws` on a function or method (what it rejects or throws with: error class and code);
 *   - no `@example` on a main entry point ({@link MAIN}).
 * Prints one line per finding and a summary; exit code 0, or 1 with `--strict` when anything is
 * missing. Uses the TypeScript compiler's own view of the exports (re-exports followed).
 */
import { existsSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The main entry points: each needs at least one `@example`. */
export const MAIN = [
  'openDatabase',
  'Database.transaction',
  'Database.createTable',
  'Database.join',
  'Database.subscribe',
  'Database.dirtyRead',
  'Database.dirtyWrite',
  'Database.dirtySelect',
  'Database.liveQuery',
  'useLiveQuery',
]

/** The package's entry files (absolute), from package.json `exports`, those whose source exists. */
export function entryFiles() {
  const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'))
  return Object.values(pkg.exports)
    .map((e) => `${root}${e.import.replace('./dist/', 'src/').replace(/\.js$/, '.ts')}`)
    .filter((f) => existsSync(f))
}

const tagsOf = (sym, checker) => {
  const decls = sym.declarations ?? []
  const tags = new Set(sym.getJsDocTags(checker).map((t) => t.name))
  // Overloads: a tag on any signature counts.
  for (const d of decls) for (const t of ts.getJSDocTags(d)) tags.add(t.tagName.text)
  return tags
}
const hasDoc = (sym, checker) =>
  sym.getDocumentationComment(checker).length > 0 || (sym.declarations ?? []).some((d) => ts.getJSDocCommentsAndTags(d).length > 0)

const isCallable = (d) =>
  ts.isFunctionDeclaration(d) || ts.isMethodDeclaration(d) || ts.isMethodSignature(d) || (ts.isVariableDeclaration(d) && !!d.initializer && ts.isArrowFunction(d.initializer))

/**
 * The findings for `files` (entry points). Each: `{ kind: 'tsdoc' | 'throws' | 'example', name, where }`.
 * @param {string[]} files
 * @param {{ main?: readonly string[], lib?: string[] }} [opts] `lib`: the compiler's lib files (default: ES2022 + DOM)
 */
export function checkTsdoc(files, opts = {}) {
  const main = new Set(opts.main ?? MAIN)
  const program = ts.createProgram(files, {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    ...(opts.lib ? { lib: opts.lib, types: [] } : {}),
  })
  const checker = program.getTypeChecker()
  const findings = []
  let checked = 0
  const seen = new Set()
  const where = (sym) => {
    const d = sym.declarations?.[0]
    if (!d) return '?'
    const sf = d.getSourceFile()
    return `${relative(root, sf.fileName)}:${String(sf.getLineAndCharacterOfPosition(d.getStart()).line + 1)}`
  }
  const visit = (sym, name, member) => {
    const decls = sym.declarations ?? []
    if (decls.length === 0 || decls.some((d) => ts.getJSDocTags(d).some((t) => t.tagName.text === 'internal'))) return
    checked++
    const tags = tagsOf(sym, checker)
    if (!hasDoc(sym, checker)) findings.push({ kind: 'tsdoc', name, where: where(sym) })
    if (decls.some(isCallable) && !tags.has('throws')) findings.push({ kind: 'throws', name, where: where(sym) })
    if (main.has(name) && !tags.has('example')) findings.push({ kind: 'example', name, where: where(sym) })
    if (member) return
    for (const d of decls) {
      if (!ts.isClassDeclaration(d) && !ts.isInterfaceDeclaration(d)) continue
      const type = checker.getDeclaredTypeOfSymbol(sym)
      for (const m of checker.getPropertiesOfType(type)) {
        const md = m.declarations?.[0]
        if (!md || ts.isPrivateIdentifier(md.name ?? md)) continue
        const mods = ts.getCombinedModifierFlags(md)
        if (mods & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue
        // Inherited from outside the package (e.g. Error's): not ours to document.
        if (md.getSourceFile().fileName.includes('/node_modules/')) continue
        visit(m, `${name}.${m.name}`, true)
      }
    }
  }
  for (const file of files) {
    const sf = program.getSourceFile(file)
    const mod = sf && checker.getSymbolAtLocation(sf)
    if (!mod) continue
    for (const exp of checker.getExportsOfModule(mod)) {
      const sym = exp.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exp) : exp
      const key = `${exp.name}@${where(sym)}`
      if (seen.has(key)) continue
      seen.add(key)
      visit(sym, exp.name, false)
    }
  }
  return { findings, checked }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { findings, checked } = checkTsdoc(entryFiles())
  const label = { tsdoc: 'no TSDoc:   ', throws: 'no @throws: ', example: 'no @example:' }
  for (const f of findings) console.log(`${label[f.kind]} ${f.name}  (${f.where})`)
  const n = (k) => findings.filter((f) => f.kind === k).length
  console.log(
    `${String(checked)} public symbols checked: ${String(n('tsdoc'))} without TSDoc, ${String(n('throws'))} functions/methods without @throws, ${String(n('example'))} main entry points without @example`,
  )
  if (process.argv.includes('--strict') && findings.length > 0) process.exitCode = 1
}
