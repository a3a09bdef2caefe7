/** The final summary of `adx sim`, as text for people (JSON is the summary itself). */
import type { SimSummary } from '../simulator/sim.ts'
import type { ThresholdSummary } from '../simulator/threshold.ts'

/** True when the run met every check: nothing planted crossed, counts exact, audit verifies. */
export function simPassed(s: SimSummary): boolean {
  return s.leaks.length === 0 && s.counts.every((c) => c.backend === c.truth) && s.audit.verified
}

const row = (k: string, v: string | number) => `  ${k.padEnd(34)} ${v}\n`
const entries = (m: Record<string, number>) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} × ${k}`)
    .join(', ') || 'none'

/** Render a summary. */
export function formatSimSummary(s: SimSummary): string {
  let out = `\nADX simulation: ${s.vehicles} vehicles (${s.agents} agent${s.agents === 1 ? '' : 's'}), ${s.persons} persons, ${s.seconds.toFixed(1)} s\n`
  out += row('payloads submitted', s.payloads.submitted)
  out += row('crossed the border (abroad sink)', s.payloads.delivered)
  out += row('held at the vehicles', `${s.payloads.held}${s.payloads.held ? ` (${entries(s.held)})` : ''}`)
  out += row('planted', `${s.planted.keys} key material, ${s.planted.controls} control instructions`)
  out += row('stripped before the border', entries(s.stripped))
  out += row('planted items found at the sink', s.leaks.length ? s.leaks.join('; ') : '0')
  out += row('incidents at the backend', entries(s.incidents))
  out += '  counts at the backend vs ground truth\n'
  for (const c of s.counts) out += `    ${c.name.padEnd(32)} ${String(c.backend).padStart(9)} ${c.backend === c.truth ? '=' : '≠'} ${c.truth}\n`
  if (s.faults.backendKills || s.faults.agentKills)
    out += row('faults (SIGKILL, then restart)', `backend ${s.faults.backendKills}×, agents ${s.faults.agentKills}× (mid-run, while the fleet kept driving)`)
  out += row('audit export', s.audit.verified ? 'signed, every file and chain verifies' : `FAILS: ${s.audit.problems.join(' ')}`)
  out += `\n${simPassed(s) ? 'PASS' : 'FAIL'}: ${simPassed(s) ? 'nothing planted crossed, counts exact, audit export verifies' : 'see the lines above'}\n`
  return out
}

/** Render a threshold run. */
export function formatThresholdSummary(t: ThresholdSummary): string {
  let out = `\nADX threshold run: ${t.vehicles} vehicles, ${t.vehicles * t.passengers} passengers, ${t.seconds.toFixed(1)} s\n`
  for (const p of t.phases) {
    out += `  ${p.name} (at ${p.seconds.toFixed(0)} s)\n`
    out += row('  persons with PI (persons.pi)', `${p.persons} — limit ${p.personsLimit}`)
    out += row('  vehicles, vehicle-operating data', `${p.vehicles} — limit ${p.vehiclesLimit}`)
    out += row('  held at the vehicles', entries(p.held))
    out += row('  incidents at the backend', entries(p.incidents))
    out += row('  limits passed', p.crossed.length ? p.crossed.map((id) => `${id}${p.crossedWithoutFiling.includes(id) ? ' WITHOUT A FILING' : ''}`).join(', ') : 'none')
  }
  out += row('ground truth', `${t.truth.persons} persons, ${t.truth.vehicles} vehicles`)
  for (const c of t.checks) out += `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.what}\n`
  const ok = t.checks.every((c) => c.ok)
  return `${out}\n${ok ? 'PASS' : 'FAIL'}: ${ok ? 'held before each limit without an assessment; past both limits, exactly, with one' : 'see the lines above'}\n`
}
