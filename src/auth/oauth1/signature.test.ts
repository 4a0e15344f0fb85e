import { describe, expect, it } from 'vitest';
import {
  baseStringUri,
  hmacSignature,
  parseAuthorizationHeader,
  parseFormEncoded,
  percentEncode,
  signatureBaseString,
} from './signature.js';

describe('RFC 5849 signature base string', () => {
  it('reproduces the example of section 3.4.1.1 (header, query and form parameters)', () => {
    const header = parseAuthorizationHeader(
      'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", ' +
        'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", ' +
        'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
    )!;
    expect(header.find(([n]) => n === 'realm')).toBeUndefined();
    expect(header.find(([n]) => n === 'oauth_signature')![1]).toBe('bYT5CMsGcbgUdFHObYMEfcx6bsw=');
    const query = parseFormEncoded('b5=%3D%253D&a3=a&c%40=&a2=r%20b');
    const form = parseFormEncoded('c2&a3=2+q');
    const base = signatureBaseString('post', baseStringUri('http://EXAMPLE.com:80', '/request'), [...header, ...query, ...form]);
    expect(base).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D' +
        '%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1' +
        '%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('signs the photos example of section 1.2 with HMAC-SHA1', () => {
    const params = [
      ...parseFormEncoded('file=vacation.jpg&size=original'),
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131202'],
      ['oauth_nonce', 'chapoH'],
    ] as [string, string][];
    const base = signatureBaseString('GET', baseStringUri('http://photos.example.net', '/photos'), params);
    expect(hmacSignature('HMAC-SHA1', base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00')).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
  });

  it('keeps non-default ports and percent-encodes per RFC 3986', () => {
    expect(baseStringUri('https://Api.Example.com:8443', '/a/b')).toBe('https://api.example.com:8443/a/b');
    expect(baseStringUri('https://api.example.com:443', '/a')).toBe('https://api.example.com/a');
    expect(percentEncode("a b!*'()~-._é")).toBe('a%20b%21%2A%27%28%29~-._%C3%A9');
  });

  it('rejects malformed headers and encodings, and ignores other schemes', () => {
    expect(parseAuthorizationHeader('Bearer abc')).toBeUndefined();
    expect(parseAuthorizationHeader(undefined)).toBeUndefined();
    expect(() => parseAuthorizationHeader('OAuth oauth_nonce=unquoted')).toThrow();
    expect(() => parseAuthorizationHeader('OAuth oauth_nonce="%E0%A4%A"')).toThrow();
    expect(() => parseFormEncoded('a=%zz')).toThrow();
    expect(parseAuthorizationHeader('OAuth')).toEqual([]);
  });
});
