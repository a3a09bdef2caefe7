/**
 * `npx tsx bench/audit-profile.ts fill N DB` | `export DB OUT` | `verify OUT`: the audit bench's
 * workload split into steps, so `node --cpu-prof --import tsx bench/audit-profile.ts export …`
 * profiles one of them alone. A helper for profiling, not a benchmark.
 */
import { readFileSync } from 'node:fs'
import { writeAuditExport, yearRange } from '../backend/audit/export.ts'
import { verifyAuditDir } from '../backend/audit/verify.ts'
import { countingPlan } from '../backend/counting/plan.ts'
import { gradeTable } from '../backend/incidents/grades.ts'
import { openSqliteStore } from '../backend/store/sqlite.ts'
import { yearWindow } from '../shared/calendar.ts'
import { loadRulePack } from '../shared/rulepack/load.ts'
import { generateSigningKey } from '../shared/signature.ts'
import { auditFixture, AUDIT_YEAR } from './audit.bench.ts'

const [cmd, a, b] = process.argv.slice(2)
const pack = loadRulePack()
const plan = countingPlan(pack)
const w = yearWindow(AUDIT_YEAR, plan.utcOffsetMinutes)
const nowMs = w.endMs + 86_400_000
const t0 = performance.now()
if (cmd === 'fill') {
  const n = Number(a)
  const store = await openSqliteStore(b!)
  const fx = auditFixture(pack, plan, { quick: false })
  for (let filled = 0; filled < n; ) {
    const count = Math.min(20_000, n - filled)
    await store.ingest(Array.from({ length: count }, (_, k) => fx.ingestRecord(fx.record(filled + k))), nowMs)
    filled += count
  }
  await store.close()
} else if (cmd === 'export') {
  const store = await openSqliteStore(a!)
  await writeAuditExport(b!, { store, pack, plan, ciio: false, signer: generateSigningKey(), table: gradeTable(pack), range: yearRange(AUDIT_YEAR, plan), nowMs }, { pageSize: process.env.PAGE ? Number(process.env.PAGE) : undefined, threadPagesBelow: process.env.THREAD_PAGES ? Number(process.env.THREAD_PAGES) : undefined })
  await store.close()
} else if (cmd === 'verify') {
  const v = verifyAuditDir(a!)
  if (!v.ok) console.log(JSON.stringify(v.problems))
} else throw new Error('usage: fill N DB | export DB OUT | verify OUT')
// Peak RSS: VmHWM, this program's own. (The kernel's maxrss of a child carries over the RSS of
// the process it was forked from: a child of the 1 GiB audit bench reported ~1 GiB.)
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
{ const c = process.cpuUsage(); console.log(`${cmd}: ${((performance.now() - t0) / 1000).toFixed(2)} s wall, ${((c.user + c.system) / 1e6).toFixed(2)} s cpu, maxrss ${hwm ?? process.resourceUsage().maxRSS} KiB`) }
