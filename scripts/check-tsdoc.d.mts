/** One undocumented public symbol. */
export interface TsdocFinding {
  kind: 'tsdoc' | 'throws' | 'example'
  /** `name` or `Class.member`. */
  name: string
  /** `file:line` of its first declaration. */
  where: string
}
export const MAIN: readonly string[]
export function entryFiles(): string[]
export function checkTsdoc(files: string[], opts?: { main?: readonly string[]; lib?: string[] }): { findings: TsdocFinding[]; checked: number }
