import { describe, expect, it } from 'vitest'
import { isPersonIdField, isPersonNameField } from './name-field.ts'

describe('isPersonNameField', () => {
  it.each([
    'fullName', 'full_name', 'FullName', 'full-name', 'firstName', 'last_name', 'givenName', 'familyName', 'surname',
    'middleName', 'nickname', 'realName', 'ownerName', 'vehicleOwnerName', 'driverName', 'driver_name',
    'primaryDriverName', 'occupantName', 'passengerName', 'contactName', 'emergency_contact_name', 'customerName',
    'memberName', 'recipientName', 'cardholderName', 'legalName', '姓名', '车主', '车主姓名', '驾驶员', '驾驶员姓名',
    '司机', '联系人', '客户姓名', '真实姓名', '昵称', 'payload.driver.fullName', 'Vehicle.Driver.Name', 'owner/name',
    'user.name', '车主.名字',
  ])('%j is a person-name field', (key) => {
    expect(isPersonNameField(key)).toBe(true)
  })

  it.each([
    'name', 'Name', '名字', 'fileName', 'filename', 'hostname', 'hostName', 'pathname', 'typeName', 'className',
    'ecuName', 'signalName', 'displayName', 'placeholderName', 'serviceName', 'appName', 'modelName', 'username',
    'companyLegalName', 'Vehicle.Cabin.Door.Row1.Name', 'ecu.name', '名称', '',
  ])('%j is not a person-name field (without context)', (key) => {
    expect(isPersonNameField(key)).toBe(false)
  })

  it.each([
    [['phone']],
    [['mobile', 'age']],
    [['email']],
    [['idNumber']],
    [['id_card_no']],
    [['driverId']],
    [['ownerId']],
    [['gender']],
    [['birthDate']],
    [['tel']],
    [['手机号']],
    [['身份证号']],
    [['contactPhone', 'city']],
  ])('a bare name counts next to %j', (siblings) => {
    expect(isPersonNameField('name', siblings)).toBe(true)
    expect(isPersonNameField('名字', siblings)).toBe(true)
  })

  it.each([
    [[]],
    [['ecuId', 'version', 'partNumber']],
    [['driver', 'irq']], // a device driver
    [['owner', 'mode', 'size']], // a file
    [['address', 'mtu']], // a network interface
    [['name']],
    [['signal', 'unit', 'value']],
  ])('a bare name does not count next to %j', (siblings) => {
    expect(isPersonNameField('name', siblings)).toBe(false)
  })

  it('siblings never turn a non-name key into a name', () => {
    expect(isPersonNameField('fileName', ['phone', 'email'])).toBe(false)
  })
})

describe('isPersonIdField', () => {
  it.each([
    'driverId', 'driver_id', 'DriverID', 'occupantId', 'userId', 'user_id', 'accountId', 'customerId', 'memberId',
    'ownerId', 'passengerId', 'personId', 'contactId', 'employeeId', 'openid', 'unionId', 'username', 'userName',
    'loginName', 'sessionUserId', 'Vehicle.Driver.Identifier.Subject',
    'Vehicle.Cabin.Seat.Row1.DriverSide.Occupant.Identifier.Subject', 'driver.id', '用户ID', '用户编号', '会员号',
    '客户编号', '车主ID',
  ])('%j is a person-id field', (key) => {
    expect(isPersonIdField(key)).toBe(true)
  })

  it.each([
    'id', 'ID', 'deviceId', 'ecuId', 'requestId', 'messageId', 'vehicleId', 'traceId', 'sessionId', 'canId', 'uuid',
    'Vehicle.Driver.Identifier.Issuer', 'Vehicle.VehicleIdentification.VIN', 'ecu.id', 'driverName', '',
  ])('%j is not a person-id field', (key) => {
    expect(isPersonIdField(key)).toBe(false)
  })

  it('memoised answers stay stable', () => {
    for (let i = 0; i < 10_000; i++) expect(isPersonIdField(`k${i}UserId`)).toBe(true)
    expect(isPersonIdField('driverId')).toBe(true)
    expect(isPersonIdField('deviceId')).toBe(false)
  })
})
