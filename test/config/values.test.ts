// Value syntaxes shared by the XML and properties files.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProperties } from '../../src/config/properties.js';
import { InvalidValue, parseCidr, parseHostPort, parseSeconds, parseSize } from '../../src/config/values.js';

describe('value syntaxes', () => {
  it('normalises every James network form to address/prefix', () => {
    assert.equal(parseCidr('127.0.0.1'), '127.0.0.1/32');
    assert.equal(parseCidr('127.0.0.0/8'), '127.0.0.0/8');
    assert.equal(parseCidr('10.1.2.3/8'), '10.0.0.0/8');
    assert.equal(parseCidr('192.168.0.0/255.255.0.0'), '192.168.0.0/16');
    assert.equal(parseCidr('10.*'), '10.0.0.0/8');
    assert.equal(parseCidr('192.168.*'), '192.168.0.0/16');
    assert.equal(parseCidr('::1'), '::1/128');
    assert.equal(parseCidr('FD00::/8'), 'fd00::/8');
    assert.throws(() => parseCidr('10.0.0.0/255.0.255.0'), InvalidValue);
    assert.throws(() => parseCidr('::1/129'), InvalidValue);
  });

  it('parses host:port with IPv6 brackets', () => {
    assert.deepEqual(parseHostPort('[::]:993'), { host: '::', port: 993 });
    assert.deepEqual(parseHostPort('mail.example.com:25'), { host: 'mail.example.com', port: 25 });
    assert.throws(() => parseHostPort('[127.0.0.1]:25'), InvalidValue);
    assert.throws(() => parseHostPort('host:-1'), InvalidValue);
  });

  it('parses sizes and durations', () => {
    assert.equal(parseSize('1G'), 1024 ** 3);
    assert.equal(parseSize('10kb'), 10240);
    assert.equal(parseSize('7', 'K'), 7168);
    assert.equal(parseSeconds('5m'), 300);
    assert.equal(parseSeconds('2h'), 7200);
    assert.throws(() => parseSeconds('soon'), InvalidValue);
  });

  it('reads Java properties: separators, comments, continuations, escapes', () => {
    const text = [
      '# comment',
      '  ! also a comment',
      'a=1',
      'b : 2',
      'c 3',
      'd=one \\',
      '   two',
      'e\\ key=x\\ty',
      'f=\\u00e9t\\u00e9',
      'g=',
      'h=trailing backslash \\\\',
      'i=#not a comment',
    ].join('\r\n');
    const map = Object.fromEntries(parseProperties(text).map((e) => [e.key, e.value]));
    assert.deepEqual(map, { a: '1', b: '2', c: '3', d: 'one two', 'e key': 'x\ty', f: 'été', g: '', h: 'trailing backslash \\', i: '#not a comment' });
  });
});
