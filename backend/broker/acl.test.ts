import { describe, expect, it } from 'vitest'
import { mayPublish, mayReceive, maySubscribe, type Principal } from './acl.ts'

describe('vehicle ACL', () => {
  it.each([
    ['adx/v1/vehicles/veh-1/records', true],
    ['adx/v1/vehicles/veh-1/incidents', true],
    ['adx/v1/vehicles/veh-1/heartbeats', true],
    ['adx/v1/vehicles/veh-1/policy', false],
    ['adx/v1/vehicles/veh-1/ack', false],
    ['adx/v1/vehicles/veh-2/records', false],
    ['adx/v1/vehicles/veh-1/records/x', false],
    ['adx/v1/vehicles/veh-1', false],
    ['adx/v1/fleet/policy', false],
    ['$SYS/broker/x', false],
    ['adx/v1/vehicles/+/records', false],
    ['ADX/v1/vehicles/veh-1/records', false],
  ])('publish %s → %s', (topic, ok) => {
    expect(mayPublish('veh-1', topic).allowed).toBe(ok)
  })

  it.each([
    ['adx/v1/vehicles/veh-1/policy', true],
    ['adx/v1/vehicles/veh-1/ack', true],
    ['adx/v1/fleet/policy', true],
    ['adx/v1/vehicles/veh-2/policy', false],
    ['adx/v1/vehicles/veh-2/ack', false],
    ['adx/v1/vehicles/+/policy', false],
    ['adx/v1/vehicles/veh-1/#', false],
    ['adx/v1/#', false],
    ['#', false],
    ['adx/v1/vehicles/veh-1/records', false],
    ['$share/g/adx/v1/fleet/policy', false],
    ['$SYS/#', false],
  ])('subscribe %s → %s', (filter, ok) => {
    expect(maySubscribe('veh-1', filter).allowed).toBe(ok)
  })
})

describe('gateway ACL (one connection, an enrolled set of vehicles)', () => {
  const gw: Principal = { kind: 'gateway', id: 'gw-1', vehicles: new Set(['veh-1', 'veh-2']) }
  it.each([
    ['adx/v1/vehicles/veh-1/records', true],
    ['adx/v1/vehicles/veh-2/incidents', true],
    ['adx/v1/vehicles/veh-2/heartbeats', true],
    ['adx/v1/vehicles/veh-3/records', false],
    ['adx/v1/vehicles/gw-1/records', false],
    ['adx/v1/vehicles/gw-1/incidents', true],
    ['adx/v1/vehicles/gw-1/heartbeats', false],
    ['adx/v1/vehicles/veh-1/policy', false],
    ['adx/v1/vehicles/veh-1/ack', false],
    ['adx/v1/vehicles/+/records', false],
    ['adx/v1/fleet/policy', false],
  ])('publish %s → %s', (topic, ok) => {
    expect(mayPublish(gw, topic).allowed).toBe(ok)
  })

  it.each([
    ['adx/v1/vehicles/+/policy', true],
    ['adx/v1/vehicles/+/ack', true],
    ['adx/v1/vehicles/veh-2/policy', true],
    ['adx/v1/vehicles/veh-3/policy', false],
    ['adx/v1/vehicles/+/records', false],
    ['adx/v1/vehicles/#', false],
    ['adx/v1/#', false],
    ['adx/v1/fleet/policy', true],
  ])('subscribe %s → %s', (filter, ok) => {
    expect(maySubscribe(gw, filter).allowed).toBe(ok)
  })

  it('a vehicle may not hold the gateway wildcards', () => {
    expect(maySubscribe('veh-1', 'adx/v1/vehicles/+/ack').allowed).toBe(false)
  })

  it.each([
    ['adx/v1/vehicles/veh-1/policy', true],
    ['adx/v1/vehicles/veh-2/ack', true],
    ['adx/v1/fleet/policy', true],
    ['adx/v1/vehicles/veh-3/policy', false],
    ['adx/v1/vehicles/veh-3/ack', false],
    ['adx/v1/vehicles/gw-1/ack', true],
    ['adx/v1/vehicles/gw-1/policy', false],
    ['something/else', false],
  ])('forwards %s to the gateway → %s', (topic, ok) => {
    expect(mayReceive(gw, topic)).toBe(ok)
  })
})
