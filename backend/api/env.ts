/** Hono environment of the ADX API: per-request variables. */
import type { Account } from './auth.ts'
import type { Disclosure } from './overseas.ts'

export interface ApiEnv {
  Variables: {
    account: Account
    /** What the response discloses (set by read handlers; counted when the reader is abroad). */
    disclosed?: Disclosure
  }
}
