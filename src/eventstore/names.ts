/**
 * The names of the event store's tables (`tables.ts` draws them and their rows). Apart so the core
 * (`api.ts`) can name `es:log` without loading the rest.
 *
 * @module
 */
export const EVENT = 'es:event'
export const STREAM = 'es:stream'
export const VERSION = 'es:version'
export const LOG = 'es:log'
export const SNAPSHOT = 'es:snapshot'
export const CHECKPOINT = 'es:checkpoint'
