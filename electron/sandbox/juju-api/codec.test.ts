import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeError, encodeResponse, field } from './codec';
import { ApiError, callNotImplemented, operationBlocked, toWireError } from './errors';

describe('Juju 1.25 JSON-RPC codec', () => {
  it('decodes a request as the 1.25 CLI sends it (Version omitted when 0)', () => {
    expect(decodeFrame('{"RequestId":1,"Type":"Admin","Version":2,"Request":"Login","Params":{"auth-tag":"user-admin"}}')).toEqual({
      kind: 'request',
      request: { requestId: 1, type: 'Admin', version: 2, id: '', request: 'Login', params: { 'auth-tag': 'user-admin' } },
    });
    expect(decodeFrame('{"RequestId":12,"Type":"Pinger","Request":"Ping"}')).toMatchObject({ kind: 'request', request: { version: 0, params: undefined } });
  });

  it('matches keys ignoring case, as Go\'s encoding/json does, but not the 2.x hyphenated form', () => {
    expect(decodeFrame('{"requestid":3,"type":"Client","request":"FullStatus"}')).toMatchObject({ kind: 'request', request: { requestId: 3, type: 'Client' } });
    expect(decodeFrame('{"request-id":3,"type":"Client","request":"FullStatus"}')).toMatchObject({ kind: 'request', request: { requestId: 0 } });
    expect(field({ Force: true }, 'force')).toBe(true);
    expect(field({ force: true, Force: false }, 'Force')).toBe(false);
  });

  it('ignores responses (no Type, no Request) and rejects what Go cannot decode', () => {
    expect(decodeFrame('{"RequestId":4,"Response":{}}')).toEqual({ kind: 'ignored' });
    expect(decodeFrame('not json').kind).toBe('invalid');
    expect(decodeFrame('[1]').kind).toBe('invalid');
    expect(decodeFrame('{"RequestId":"1","Type":"Pinger","Request":"Ping"}').kind).toBe('invalid');
    expect(decodeFrame('{"RequestId":-1,"Type":"Pinger","Request":"Ping"}').kind).toBe('invalid');
  });

  it('encodes results with Response {} for empty ones, and errors with Response {} and ErrorCode only when set', () => {
    expect(encodeResponse(7, undefined)).toBe('{"RequestId":7,"Response":{}}');
    expect(encodeResponse(7, { Results: [] })).toBe('{"RequestId":7,"Response":{"Results":[]}}');
    expect(encodeError(1, new ApiError('invalid entity name or password', 'unauthorized access'))).toBe(
      '{"RequestId":1,"Error":"invalid entity name or password","ErrorCode":"unauthorized access","Response":{}}',
    );
    expect(encodeError(5, new ApiError('no machines were destroyed: machine 0 is required by the environment'))).toBe(
      '{"RequestId":5,"Error":"no machines were destroyed: machine 0 is required by the environment","Response":{}}',
    );
  });

  it('words not-implemented errors as rpcreflect does', () => {
    expect(callNotImplemented('Client', 0).message).toBe('unknown object type "Client"');
    expect(callNotImplemented('HighAvailability', 1).message).toBe('unknown version (1) of interface "HighAvailability"');
    expect(callNotImplemented('Client', 0, 'Foo').message).toBe('no such request - method Client.Foo is not implemented');
    expect(callNotImplemented('HighAvailability', 1, 'Foo').message).toBe('no such request - method HighAvailability(1).Foo is not implemented');
    expect(callNotImplemented('Admin', 3).code).toBe('not implemented');
  });

  it('serialises bulk errors as 1.25 params.Error ({Message, Code}, null for none)', () => {
    expect(toWireError(undefined)).toBeNull();
    expect(toWireError(new Error('cannot reduce'))).toEqual({ Message: 'cannot reduce', Code: '' });
    expect(toWireError(operationBlocked(''))).toEqual({ Message: 'the operation has been blocked', Code: 'operation is blocked' });
    expect(toWireError(operationBlocked('freeze'))).toEqual({ Message: 'freeze', Code: 'operation is blocked' });
  });
});
