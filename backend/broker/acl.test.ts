import { describe, expect, it } from 'vitest'
import { mayPublish, maySubscribe } from './acl.ts'

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
