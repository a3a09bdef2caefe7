/**
 * OTA: campaign reports and package metadata are scrubbed; in manifests, certificates,
 * public keys and encryption keys are key material by definition, install actions are
 * vehicle-control logic; source bundles are source code (important data).
 */
import type { Ota, UpdateManifest } from '../../../shared/wire/types.ts'
import type { BodyContext } from './context.ts'

type Scrubbable = Record<string, unknown>

/** Scrub the named string fields of an object in place (abroad). */
function strings(ctx: BodyContext, obj: Scrubbable, fields: readonly string[], path: string): void {
  for (const k of fields) {
    const v = obj[k]
    if (typeof v === 'string' && v !== '') {
      const t = ctx.scrub.text(ctx.f, v, `${path}.${k}`)
      if (ctx.f.abroad) obj[k] = t
    }
  }
}

function manifest(ctx: BodyContext, m: UpdateManifest): void {
  const { f } = ctx
  const path = 'ota.manifest'
  strings(ctx, m as Scrubbable, ['manifestId'], path)
  const certs = m.certificates ?? []
  for (let i = 0; i < certs.length; i++)
    if (certs[i]) f.strip({ path: `${path}.certificates[${i}]`, kind: 'certificate', reason: 'key-material', encoding: 'field' })
  if (m.encryptionKey) f.strip({ path: `${path}.encryptionKey`, kind: 'private-key', reason: 'key-material', encoding: 'field' })
  const sigs = m.signatures ?? []
  for (let i = 0; i < sigs.length; i++) {
    const s = sigs[i]!
    const at = `${path}.signatures[${i}]`
    if (s.publicKey) {
      f.strip({ path: `${at}.publicKey`, kind: 'public-key', reason: 'key-material', encoding: 'field' })
      if (f.abroad) s.publicKey = ''
    }
    strings(ctx, s as Scrubbable, ['keyId', 'method', 'value'], at)
  }
  const targets = m.targets ?? []
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i]!
    const at = `${path}.targets[${i}]`
    strings(ctx, t as Scrubbable, ['ecu', 'filename', 'version'], at)
    const actions = t.installActions ?? []
    for (let j = 0; j < actions.length; j++)
      f.strip({ path: `${at}.installActions[${j}]`, kind: `ota-install-action`, reason: 'control-instruction' })
    if (f.abroad) t.installActions = []
    const hashes = ctx.scrub.map(f, t.hashes, `${at}.hashes`)
    const custom = ctx.scrub.map(f, t.custom, `${at}.custom`)
    if (f.abroad) {
      t.hashes = hashes ?? {}
      t.custom = custom ?? {}
    }
  }
  const custom = ctx.scrub.map(f, m.custom, `${path}.custom`)
  if (f.abroad) {
    m.certificates = []
    m.encryptionKey = ''
    m.custom = custom ?? {}
  }
}

export function ota(ctx: BodyContext, body: Ota): void {
  const { f } = ctx
  f.category('software-upgrade', 'ota')
  if (body.campaign)
    strings(ctx, body.campaign as Scrubbable, ['campaignId', 'status', 'ecu', 'fromVersion', 'toVersion', 'error'], 'ota.campaign')
  if (body.manifest) manifest(ctx, body.manifest)
  const packages = body.packages ?? []
  for (let i = 0; i < packages.length; i++) {
    const p = packages[i]!
    const at = `ota.packages[${i}]`
    strings(ctx, p as Scrubbable, ['packageId', 'name', 'version', 'sha256'], at)
    const custom = ctx.scrub.map(f, p.custom, `${at}.custom`)
    if (f.abroad) p.custom = custom ?? {}
  }
  if (body.source) {
    f.category('source-code', 'ota.source')
    strings(ctx, body.source as Scrubbable, ['name', 'samrFiling'], 'ota.source')
    if (body.source.archive && body.source.archive.length > 0) {
      const a = ctx.scrub.bytes(f, body.source.archive, 'ota.source.archive')
      if (f.abroad) body.source.archive = a
    }
  }
}
