/**
 * Bearer-token authentication with three roles, each including the ones below it:
 * viewer (read) < officer (filings) < admin (vehicles). Tokens are compared by SHA-256, so the
 * configuration may hold only their digests.
 */
import { createHash } from 'node:crypto'
import type { MiddlewareHandler } from 'hono'
import { AdxError } from '../../shared/errors.ts'
import type { ApiEnv } from './env.ts'

export type Role = 'viewer' | 'officer' | 'admin'

/** An API account. */
export interface Account {
  id: string
  role: Role
  /** An account abroad: what it reads counts as an export to it. */
  overseas: boolean
}

/** An account with how to recognise its token. */
export interface AccountConfig extends Account {
  token?: string
  tokenSha256?: string
}

const rank: Record<Role, number> = { viewer: 0, officer: 1, admin: 2 }
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/**
 * Authenticates the bearer token; sets the `account` variable.
 * @example app.use('/api/*', bearerAccounts(config.api.accounts))
 */
export function bearerAccounts(accounts: readonly AccountConfig[]): MiddlewareHandler<ApiEnv> {
  const byDigest = new Map<string, Account>()
  for (const a of accounts) byDigest.set(a.tokenSha256 ?? sha256(a.token ?? ''), { id: a.id, role: a.role, overseas: a.overseas })
  return async function bearerAccountsMiddleware(c, next) {
    const header = c.req.header('authorization') ?? ''
    const m = /^Bearer\s+(\S+)$/i.exec(header)
    if (!m) throw new AdxError('ADX_ERR_API_UNAUTHENTICATED', 'send "Authorization: Bearer <token>"')
    const account = byDigest.get(sha256(m[1]!))
    if (!account) throw new AdxError('ADX_ERR_API_UNAUTHENTICATED', 'unknown token')
    c.set('account', account)
    await next()
  }
}

/**
 * Requires at least the given role.
 * @example app.post('/api/filings', requireRole('officer'), handler)
 */
export function requireRole(role: Role): MiddlewareHandler<ApiEnv> {
  return async function requireRoleMiddleware(c, next) {
    const account = c.get('account')
    if (rank[account.role] < rank[role]) throw new AdxError('ADX_ERR_API_FORBIDDEN', `${role} role required, account "${account.id}" is ${account.role}`)
    await next()
  }
}
