/**
 * Precompiled rule pack / overlay documents (written beside the bundle by build-agent.ts) are
 * used only while the YAML is the text they were made from, and are validated like the YAML.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { afterEach, describe, expect, it } from 'vitest'
import { defaultRulePackPath } from '../shared/rulepack/load.ts'
import { defaultVssOverlayPath } from '../shared/rulepack/vss-overlay.ts'
import { precompiledPath, readRulePack, readVssOverlay, yamlTextSha256 } from './load-inspector.ts'

const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function packCopy(): { path: string; text: string; doc: Record<string, unknown> } {
  const dir = mkdtempSync(join(tmpdir(), 'adx-precompiled-'))
  dirs.push(dir)
  const path = join(dir, 'cn-2026.yaml')
  copyFileSync(defaultRulePackPath, path)
  const text = readFileSync(path, 'utf8')
  return { path, text, doc: parseYaml(text) as Record<string, unknown> }
}

describe('precompiled rule pack and overlay', () => {
  it('takes the document from the JSON while the YAML is the text it was made from', () => {
    const { path, text, doc } = packCopy()
    writeFileSync(precompiledPath(path), JSON.stringify({ sha256: yamlTextSha256(text), doc: { ...doc, version: '9999.9.9' } }))
    expect(readRulePack(path).version).toBe('9999.9.9')
  })

  it('parses the YAML once it was edited (a stale JSON never shadows it)', () => {
    const { path, text, doc } = packCopy()
    writeFileSync(precompiledPath(path), JSON.stringify({ sha256: yamlTextSha256(text), doc: { ...doc, version: '9999.9.9' } }))
    appendFileSync(path, '\n# edited on the unit\n')
    expect(readRulePack(path).version).toBe(doc.version)
  })

  it('validates a precompiled document like the YAML', () => {
    const { path, text, doc } = packCopy()
    writeFileSync(precompiledPath(path), JSON.stringify({ sha256: yamlTextSha256(text), doc: { ...doc, rules: 'nope' } }))
    expect(() => readRulePack(path)).toThrow(/ADX_ERR_RULEPACK_INVALID|rules/)
  })

  it('ignores an unreadable JSON and reads the shipped overlay either way', () => {
    const { path } = packCopy()
    writeFileSync(precompiledPath(path), '{ not json')
    const pack = readRulePack(path)
    const overlay = readVssOverlay(defaultVssOverlayPath, new Set(pack.categories.map((c) => c.id)))
    expect(overlay.entries.length).toBeGreaterThan(10)
  })
})
