/**
 * The VSS overlay: which rule-pack data category each COVESA VSS signal path belongs to, and
 * how the agent handles its value (pass, pseudonymise, coarsen-location). The overlay is data
 * (vss-overlay.yaml); this file validates it and compiles it into a fast classifier.
 *
 * Matching: entries are tried in order and the FIRST whose `match` glob matches classifies the
 * path. A glob is `.`-separated segments: a literal name, `*` (exactly one segment) or `**` (zero
 * or more segments). A path no entry matches is unclassified (`undefined`): the caller holds the
 * payload, because unclassified data never goes abroad.
 *
 * `parseVssOverlay` is pure (text in, overlay out); `loadVssOverlay` reads a file. Both throw
 * AdxError ADX_ERR_RULEPACK_INVALID listing every problem at once, each naming its entry, e.g.
 * `entries[12] (Vehicle.Foo.*).category: unknown category "x"`.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { AdxError } from '../errors.ts'
import { describePath } from './load.ts'

/** Path of the VSS overlay shipped with ADX. */
export const defaultVssOverlayPath = fileURLToPath(new URL('./vss-overlay.yaml', import.meta.url))

export const vssHandlings = ['pass', 'pseudonymise', 'coarsen-location'] as const
export type VssHandling = (typeof vssHandlings)[number]
export const vssIdentifiers = ['vin', 'plate', 'driver-id', 'occupant-id', 'person-id'] as const
export type VssIdentifier = (typeof vssIdentifiers)[number]

/** Characters of one path segment (VSS names and instance names). */
const SEGMENT = '[A-Za-z0-9_]+'
const segmentPattern = new RegExp(`^${SEGMENT}$`)
/** A well-formed signal path: one or more segments joined by single dots. */
const pathPattern = new RegExp(`^${SEGMENT}(?:\\.${SEGMENT})*$`)
/** Paths longer than this are never classified (VSS paths are far shorter). */
export const maxVssPathLength = 512
/** At most this many `**` per glob, which bounds the matcher's work. */
const maxDoubleStars = 2

/** Problems with a glob's syntax, or [] when it is valid. Pure. */
export function vssGlobProblems(glob: string): string[] {
  if (glob === '') return ['must not be empty']
  if (glob.length > maxVssPathLength) return [`must be at most ${maxVssPathLength} characters`]
  const segments = glob.split('.')
  const problems: string[] = []
  segments.forEach((s, i) => {
    if (s === '') problems.push(`segment ${i + 1} is empty`)
    else if (s !== '*' && s !== '**' && !segmentPattern.test(s))
      problems.push(`segment ${i + 1} "${s}" must be a name of letters, digits and "_", "*" or "**"`)
    else if (s === '**' && segments[i - 1] === '**') problems.push(`segment ${i + 1}: "**.**" is redundant, use one "**"`)
  })
  if (segments.filter((s) => s === '**').length > maxDoubleStars)
    problems.push(`at most ${maxDoubleStars} "**" per pattern`)
  // A catch-all classifies every signal the same way: no judgement, and new signals slip in.
  const literals = segments.filter((s, i) => s !== '*' && s !== '**' && !(i === 0 && s === 'Vehicle'))
  if (problems.length === 0 && literals.length === 0)
    problems.push('is a catch-all: name at least one branch or signal besides "Vehicle"')
  return problems
}

const entrySchema = z.strictObject({
  match: z.string(),
  category: z.string().min(1),
  handling: z.enum(vssHandlings),
  identifier: z.enum(vssIdentifiers).optional(),
  charging: z.boolean().optional(),
  note: z.string().optional(),
})

export const vssOverlaySchema = z.strictObject({
  version: z.literal(1),
  entries: z.array(entrySchema).min(1),
})

export type VssOverlayEntry = z.infer<typeof entrySchema>
export type VssOverlay = z.infer<typeof vssOverlaySchema>


/**
 * Checks per entry that do not depend on the entry's other fields being well-formed, run on the
 * raw input so that every problem is reported at once, alongside the schema's.
 */
function entryProblems(input: unknown, knownCategories: ReadonlySet<string>): string[] {
  const entries = input && typeof input === 'object' ? (input as { entries?: unknown }).entries : undefined
  if (!Array.isArray(entries)) return []
  const problems: string[] = []
  const firstIndex = new Map<string, number>()
  entries.forEach((raw: unknown, i) => {
    if (!raw || typeof raw !== 'object') return
    const e = raw as Record<string, unknown>
    const at = describePath(input, ['entries', i], 'match')
    if (typeof e.match === 'string') {
      for (const p of vssGlobProblems(e.match)) problems.push(`${at}.match: ${p}`)
      const first = firstIndex.get(e.match)
      if (first !== undefined) problems.push(`${at}.match: duplicate match (first at entries[${first}])`)
      else firstIndex.set(e.match, i)
    }
    if (typeof e.category === 'string' && e.category !== '' && !knownCategories.has(e.category))
      problems.push(`${at}.category: unknown category "${e.category}"`)
    if (e.handling === 'pseudonymise' && e.identifier === undefined)
      problems.push(`${at}.identifier: handling "pseudonymise" needs an identifier (${vssIdentifiers.join(' | ')})`)
    if (e.identifier !== undefined && typeof e.handling === 'string' && e.handling !== 'pseudonymise')
      problems.push(`${at}.identifier: only meaningful with handling "pseudonymise", not "${e.handling}"`)
  })
  return problems
}

/**
 * Validate a parsed overlay object against the rule pack's category ids.
 * @throws AdxError ADX_ERR_RULEPACK_INVALID naming every bad entry.
 */
export function validateVssOverlay(input: unknown, knownCategories: ReadonlySet<string>): VssOverlay {
  const result = vssOverlaySchema.safeParse(input)
  const problems = result.success
    ? []
    : result.error.issues.map((issue) => `${describePath(input, issue.path, 'match')}: ${issue.message}`)
  problems.push(...entryProblems(input, knownCategories))
  if (problems.length || !result.success)
    throw new AdxError('ADX_ERR_RULEPACK_INVALID', `VSS overlay: ${problems.join('; ')}`, problems)
  return result.data
}

/**
 * Parse and validate VSS overlay YAML (or JSON) text.
 * @param knownCategories the rule pack's category ids (`new Set(pack.categories.map((c) => c.id))`).
 * @throws AdxError ADX_ERR_RULEPACK_INVALID naming every bad entry.
 */
export function parseVssOverlay(text: string, knownCategories: ReadonlySet<string>): VssOverlay {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new AdxError('ADX_ERR_RULEPACK_INVALID', `VSS overlay: not valid YAML: ${(e as Error).message}`, [], {
      cause: e,
    })
  }
  return validateVssOverlay(doc, knownCategories)
}

/**
 * Read, parse and validate a VSS overlay file (default: the shipped overlay).
 * @example const overlay = loadVssOverlay(undefined, new Set(loadRulePack().categories.map((c) => c.id)))
 * @throws AdxError ADX_ERR_RULEPACK_READ when the file cannot be read, ADX_ERR_RULEPACK_INVALID when it is invalid.
 */
export function loadVssOverlay(
  path: string | undefined = defaultVssOverlayPath,
  knownCategories: ReadonlySet<string>,
): VssOverlay {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    throw new AdxError('ADX_ERR_RULEPACK_READ', `${path}: ${(e as Error).message}`, [], { cause: e })
  }
  return parseVssOverlay(text, knownCategories)
}

/** How a signal is classified: its category, handling, and the overlay entry that decided. */
export interface VssClass {
  category: string
  handling: VssHandling
  /** With handling `pseudonymise`: which identifier kind the value is. */
  identifier?: string
  /** True for charging consumption data (counted per person). */
  charging: boolean
  /** Index of the deciding entry in the overlay. */
  entry: number
  /** The deciding entry's glob. */
  match: string
}

export interface VssClassifier {
  /** The class of a signal path, or undefined when no entry matches (hold the payload). */
  classify(path: string): VssClass | undefined
  /** Number of paths currently memoised (bounded by `cacheLimit`). */
  readonly cacheSize: number
}

export interface CompileVssOverlayOptions {
  /** Most paths memoised; the oldest is evicted first. Default 10,000. */
  cacheLimit?: number
}

/**
 * Compile one glob into one anchored regex. Segments never contain ".", so every wildcard is
 * confined to whole segments and the regex cannot backtrack catastrophically.
 * @example globToRegExp('Vehicle.Cabin.Seat.**.Height').test('Vehicle.Cabin.Seat.Row1.DriverSide.Height') // true
 */
export function globToRegExp(glob: string): RegExp {
  const segments = glob.split('.').filter((s, i, all) => !(s === '**' && all[i - 1] === '**'))
  let source = ''
  let needDot = false
  segments.forEach((s, i) => {
    if (s === '**') {
      if (i > 0) source += `(?:\\.${SEGMENT})*`
      else if (segments.length === 1) source += `${SEGMENT}(?:\\.${SEGMENT})*`
      else {
        source += `(?:${SEGMENT}\\.)*`
        return // the next segment follows without a dot of its own
      }
    } else {
      source += (needDot ? '\\.' : '') + (s === '*' ? SEGMENT : s.replace(/[^A-Za-z0-9_]/g, '\\$&'))
    }
    needDot = true
  })
  return new RegExp(`^${source}$`)
}

/** The first two segments of a glob when both are literal: paths it matches start with them. */
function globBucket(glob: string): string | undefined {
  const [a, b] = glob.split('.')
  const literal = (s: string | undefined) => s !== undefined && s !== '*' && s !== '**'
  return literal(a) && literal(b) ? `${a}.${b}` : undefined
}

/** The first two segments of a path (or the whole path when it is shorter). */
function pathBucket(path: string): string {
  const first = path.indexOf('.')
  if (first < 0) return path
  const second = path.indexOf('.', first + 1)
  return second < 0 ? path : path.slice(0, second)
}

/**
 * Compile an overlay into a classifier. Each glob becomes one anchored regex; entries are
 * bucketed by their first two literal segments so a path is tried only against entries that
 * can match it (in overlay order); results are memoised in a bounded Map.
 */
export function compileVssOverlay(overlay: VssOverlay, options: CompileVssOverlayOptions = {}): VssClassifier {
  const cacheLimit = Math.max(0, Math.floor(options.cacheLimit ?? 10_000))
  type Compiled = { re: RegExp; cls: Readonly<VssClass> }
  const compiled: Compiled[] = overlay.entries.map((e, entry) => {
    const cls: VssClass = { category: e.category, handling: e.handling, charging: e.charging ?? false, entry, match: e.match }
    if (e.identifier !== undefined) cls.identifier = e.identifier
    return { re: globToRegExp(e.match), cls: Object.freeze(cls) }
  })
  // Candidate lists: per bucket, the bucket's entries and the unbucketed ones, in overlay order.
  const wild: Compiled[] = []
  const buckets = new Map<string, Compiled[]>()
  overlay.entries.forEach((e, i) => {
    const key = globBucket(e.match)
    if (key === undefined) wild.push(compiled[i]!)
    else if (!buckets.has(key)) buckets.set(key, [])
  })
  for (const [key, list] of buckets) {
    overlay.entries.forEach((e, i) => {
      const k = globBucket(e.match)
      if (k === undefined || k === key) list.push(compiled[i]!)
    })
  }

  const cache = new Map<string, Readonly<VssClass> | undefined>()
  const lookup = (path: string): Readonly<VssClass> | undefined => {
    for (const c of buckets.get(pathBucket(path)) ?? wild) if (c.re.test(path)) return c.cls
    return undefined
  }

  return {
    classify(path: string): VssClass | undefined {
      const hit = cache.get(path)
      if (hit !== undefined || cache.has(path)) return hit
      if (typeof path !== 'string' || path.length > maxVssPathLength || !pathPattern.test(path)) return undefined
      const cls = lookup(path)
      if (cacheLimit > 0) {
        if (cache.size >= cacheLimit) cache.delete(cache.keys().next().value as string)
        cache.set(path, cls)
      }
      return cls
    },
    get cacheSize() {
      return cache.size
    },
  }
}
