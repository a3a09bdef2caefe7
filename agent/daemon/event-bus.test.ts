/** A listener's exception is logged with its owner and never reaches the emitter. */
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { EventBus } from './event-bus.ts'

describe('EventBus', () => {
  it('isolates throwing and rejecting listeners', async () => {
    const lines: string[] = []
    const log = pino({ level: 'error' }, { write: (s: string) => void lines.push(s) })
    const bus = new EventBus(log)
    const got: string[] = []
    bus.on('enqueued', 'bad', () => {
      throw new Error('boom')
    })
    bus.on('enqueued', 'worse', async () => {
      throw new Error('async boom')
    })
    bus.on('enqueued', 'good', ({ destination }) => void got.push(destination))
    expect(() => bus.emit('enqueued', { destination: 'eu' })).not.toThrow()
    await new Promise((r) => setTimeout(r, 10))
    expect(got).toEqual(['eu'])
    expect(lines.join()).toContain('"extension":"bad"')
    expect(lines.join()).toContain('"extension":"worse"')
    bus.removeOwner('good')
    bus.emit('enqueued', { destination: 'x' })
    expect(got).toEqual(['eu'])
  })
})
