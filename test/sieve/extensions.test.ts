// The examples of each Sieve extension RFC, run through the executor.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { actions, run, SAMPLE } from './run.js';
import type { VacationAction } from '../../src/sieve/index.js';

describe('RFC 5229 variables', () => {
  it('expands names case-insensitively in multi-line strings', async () => {
    const r = await run(`require ["variables", "vacation"];
set "honorific"  "Mr";
set "first_name" "Wile";
set "last_name"  "Coyote";
set "vacation" text:
Dear \${HONORIFIC} \${last_name},
I'm out, please leave a message after the meep.
.
;
vacation "\${vacation}";`);
    const v = r.actions.find((a) => a.type === 'vacation') as VacationAction;
    assert.equal(v.reason, "Dear Mr Coyote,\r\nI'm out, please leave a message after the meep.\r\n");
  });

  it('applies the set modifiers of §4.1', async () => {
    const cases: Array<[string, string]> = [
      ['set "b" "${a}";', 'juMBlEd lETteRS'],
      ['set :length "b" "${a}";', '15'],
      ['set :lower "b" "${a}";', 'jumbled letters'],
      ['set :upperfirst "b" "${a}";', 'JuMBlEd lETteRS'],
      ['set :upperfirst :lower "b" "${a}";', 'Jumbled letters'],
      ['set :quotewildcard "b" "Rock*";', 'Rock\\*'],
    ];
    for (const [set, expected] of cases) {
      assert.deepEqual(await actions(`require ["variables", "fileinto"]; set "a" "juMBlEd lETteRS"; ${set} fileinto "\${b}";`), [`fileinto:${expected}`]);
    }
  });

  it('sets match variables from :matches (§3.2 examples)', async () => {
    const script = `require ["fileinto", "variables"];
if header :matches "List-ID" "*<*@*" { fileinto "INBOX.lists.\${2}"; stop; }`;
    assert.deepEqual(await actions(script), ['fileinto:INBOX.lists.acme-users']);
    const subject = `require ["fileinto", "variables"];
if header :matches "Subject" "[*] *" { fileinto "INBOX.lists.\${1}/\${2}"; stop; }`;
    assert.deepEqual(await actions(subject), ['fileinto:INBOX.lists.acme-users/[fwd] version 1.0 is out']);
    const coyote = `require ["fileinto", "variables"];
if address :matches ["To", "Cc"] ["coyote@**.com", "wile@**.com"] { fileinto "INBOX.business.\${2}|\${1}|\${0}"; stop; }`;
    const msg = SAMPLE.replace('To: foo@example.com.invalid, baz@example.com.invalid', 'To: coyote@ACME.Example.COM');
    assert.deepEqual(await actions(coyote, msg), ['fileinto:INBOX.business.ACME.Example||coyote@ACME.Example.COM']);
  });

  it('string test, including :count ignoring empty strings (§5)', async () => {
    assert.deepEqual(await actions('require "variables"; set "state" "${state} pending"; if string :matches " ${state} " "* pending *" { discard; }'), ['discard']);
    assert.deepEqual(await actions('require ["variables", "relational"]; if string :count "eq" ["", "a", ""] "1" { discard; }'), ['discard']);
  });

  it('leaves unknown and malformed references alone, and bounds variable growth', async () => {
    assert.deepEqual(await actions('require ["variables", "fileinto"]; fileinto "a${nope}b${a b}c";'), ['fileinto:ab${a b}c']);
    const doubling = 'require ["variables"]; set "a" "xxxxxxxxxxxxxxxx";' + ' set "a" "${a}${a}";'.repeat(40) + ' if string :matches "${a}" "*y" { discard; }';
    const r = await run(doubling);
    assert.deepEqual(r.actions.map((a) => a.type), ['keep']);
  });
});

describe('RFC 5231 relational', () => {
  it('counts addresses and fields (§6 examples)', async () => {
    const R = 'require ["relational", "comparator-i;ascii-numeric"];';
    assert.deepEqual(await actions(`${R} if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"] { discard; }`), ['discard']);
    assert.deepEqual(await actions(`${R} if anyof (address :count "ge" :comparator "i;ascii-numeric" ["to"] ["3"], address :count "ge" :comparator "i;ascii-numeric" ["cc"] ["3"]) { discard; }`), ['implicit-keep']);
    assert.deepEqual(await actions(`${R} if header :count "ge" :comparator "i;ascii-numeric" ["received"] ["3"] { discard; }`), ['implicit-keep']);
    assert.deepEqual(await actions(`${R} if header :count "ge" :comparator "i;ascii-numeric" ["received", "subject"] ["3"] { discard; }`), ['discard']);
    assert.deepEqual(await actions(`${R} if header :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"] { discard; }`), ['implicit-keep']);
  });

  it(':value with casemap and numeric comparators', async () => {
    assert.deepEqual(await actions('require "relational"; if address :value "gt" :all :comparator "i;ascii-casemap" ["from"] ["M"] { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('require "relational"; if address :value "lt" :localpart ["from"] ["M"] { discard; }'), ['discard']);
    const spam = SAMPLE.replace('Subject:', 'X-Spam-Score: 12\r\nSubject:');
    const R = 'require ["relational", "comparator-i;ascii-numeric"];';
    assert.deepEqual(await actions(`${R} if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "5" { discard; }`, spam), ['discard']);
    assert.deepEqual(await actions(`${R} if header :value "ge" :comparator "i;ascii-numeric" "X-Spam-Score" "13" { discard; }`, spam), ['implicit-keep']);
  });
});

describe('RFC 3894 copy, RFC 5490 mailbox, RFC 5429 reject', () => {
  it(':copy keeps the implicit keep', async () => {
    assert.deepEqual(await actions('require "copy"; redirect :copy "sent@example.com";'), ['redirect:sent@example.com', 'implicit-keep']);
    assert.deepEqual(await actions('require ["copy", "fileinto"]; fileinto :copy "incoming";'), ['fileinto:incoming', 'implicit-keep']);
  });

  it('mailboxexists and fileinto :create', async () => {
    const script = `require ["fileinto", "reject", "mailbox"];
if mailboxexists "Partners" { fileinto :create "Partners"; } else { reject "This message was not accepted by the Mailstore"; }`;
    assert.deepEqual(await actions(script, SAMPLE, { mailboxExists: async (n) => n === 'Partners' }), ['fileinto:Partners+create']);
    assert.deepEqual(await actions(script, SAMPLE, { mailboxExists: async () => false }), ['reject:This message was not accepted by the Mailstore']);
  });

  it('reject and ereject (§2.1, §2.2 examples), and their conflicts', async () => {
    const big = `require ["reject"];
if size :over 100 {
    reject text:
Your message is too big.  If you want to send me a big attachment,
put it on a public web site and send me a URL.
.
;
}`;
    assert.deepEqual(await actions(big), ['reject:Your message is too big.  If you want to send me a big attachment,\r\nput it on a public web site and send me a URL.\r\n']);
    assert.deepEqual(await actions('require "ereject"; if address :domain :is "from" "example.com.invalid" { ereject "I no longer accept mail from this domain"; }'), ['ereject:I no longer accept mail from this domain']);
    await assert.rejects(run('require ["reject", "fileinto"]; fileinto "x"; reject "no";'), /reject cannot be combined/);
    await assert.rejects(run('require ["reject"]; reject "a"; reject "b";'), /more than one reject/);
  });
});

describe('RFC 5232 imap4flags', () => {
  it('setflag/addflag/removeflag feed the implicit keep and fileinto', async () => {
    assert.deepEqual(await actions('require "imap4flags"; if size :over 100 { setflag "\\\\Deleted"; }'), ['keep[\\Deleted]']);
    assert.deepEqual(await actions('require ["imap4flags"]; addflag ["\\\\Seen", "$Important \\\\Flagged"]; removeflag "\\\\seen"; keep;'), ['keep[$Important \\Flagged]']);
    const script = `require ["fileinto", "imap4flags", "variables"];
if size :over 100 {
  addflag "MyFlags" "Big";
  if header :contains "From" "bar@example.com.invalid" { addflag "MyFlags" "\\\\Flagged $Important"; }
  fileinto :flags "\${MyFlags}" "Big messages";
}`;
    assert.deepEqual(await actions(script), ['fileinto:Big messages[Big \\Flagged $Important]']);
  });

  it('hasflag with variables and :count', async () => {
    const script = `require ["imap4flags", "variables", "relational", "comparator-i;ascii-numeric", "fileinto"];
setflag "Flags" "A B";
if hasflag :count "ge" :comparator "i;ascii-numeric" "Flags" "2" { fileinto "two"; }
if hasflag "Flags" "b" { fileinto "has-b"; }
if hasflag :contains "c" { fileinto "internal"; }`;
    assert.deepEqual(await actions(script), ['fileinto:two', 'fileinto:has-b']);
  });
});

describe('RFC 5173 body', () => {
  const mime = [
    'From: a@example.org',
    'Subject: parts',
    'Content-Type: multipart/mixed; boundary=b',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    'the missile =C3=A9 coordinates',
    '--b',
    'Content-Type: text/html',
    '',
    '<p>MAKE <b>MONEY</b> FAST</p>',
    '--b',
    'Content-Type: audio/mp3',
    'Content-Transfer-Encoding: base64',
    '',
    'AAAA',
    '--b--',
    '',
  ].join('\r\n');

  it('runs the §7 examples', async () => {
    assert.deepEqual(await actions('require ["body", "fileinto"]; if body :content "text" :contains ["missile", "coordinates"] { fileinto "secrets"; }', mime), ['fileinto:secrets']);
    assert.deepEqual(await actions('require ["body", "fileinto"]; if body :content "audio/mp3" :contains "" { fileinto "jukebox"; }', mime), ['fileinto:jukebox']);
    assert.deepEqual(await actions('require ["body", "fileinto"]; if body :content "audio/ogg" :contains "" { fileinto "jukebox"; }', mime), ['implicit-keep']);
  });

  it(':text decodes and strips HTML, :raw does not decode', async () => {
    assert.deepEqual(await actions('require "body"; if body :text :contains "missile é" { discard; }', mime), ['discard']);
    assert.deepEqual(await actions('require "body"; if body :contains "MAKE MONEY" { discard; }', mime), ['implicit-keep']);
    assert.deepEqual(await actions('require "body"; if body :contains "MAKE  MONEY  FAST" { discard; }', mime), ['discard']);
    assert.deepEqual(await actions('require "body"; if body :raw :contains "=C3=A9" { discard; }', mime), ['discard']);
    assert.deepEqual(await actions('require "body"; if body :raw :contains "MAKE <b>MONEY</b>" { discard; }', mime), ['discard']);
  });
});

describe('RFC 5233 subaddress', () => {
  it('runs the §5 examples on the envelope', async () => {
    const script = `require ["envelope", "subaddress", "fileinto"];
if envelope :user "to" "postmaster" { fileinto "inbox.postmaster"; stop; }
if envelope :detail :is "to" "mta-filters" { fileinto "inbox.ietf-mta-filters"; stop; }
if envelope :detail :matches "to" "*" { fileinto "detail"; stop; }`;
    assert.deepEqual(await actions(script, SAMPLE, { envelope: { from: 'a@b', to: 'postmaster+x@example.org' } }), ['fileinto:inbox.postmaster']);
    assert.deepEqual(await actions(script, SAMPLE, { envelope: { from: 'a@b', to: 'ken+mta-filters@example.org' } }), ['fileinto:inbox.ietf-mta-filters']);
    assert.deepEqual(await actions(script, SAMPLE, { envelope: { from: 'a@b', to: 'ken+@example.org' } }), ['fileinto:detail']);
    // No separator: :detail has nothing to match, not even "*".
    assert.deepEqual(await actions(script, SAMPLE, { envelope: { from: 'a@b', to: 'ken@example.org' } }), ['implicit-keep']);
  });
});

describe('RFC 5230 vacation and RFC 6131 vacation-seconds', () => {
  it('returns the vacation action with its parameters', async () => {
    const r = await run(`require "vacation";
if header :contains "subject" "cyrus" { vacation "I'm out -- send mail to cyrus-bugs"; }
else { vacation "I'm out -- call me at +1 304 555 0123"; }`);
    const v = r.actions[0] as VacationAction;
    assert.equal(v.reason, "I'm out -- call me at +1 304 555 0123");
    assert.equal(v.seconds, 7 * 86400);
    assert.equal(r.actions[1]!.type, 'keep');
    const days = (await run(`require ["vacation"];
vacation :days 23 :addresses ["tjs@example.edu", "ts4z@landru.example.edu"] :subject "Away" :from "tjs@example.edu" :handle "oct"
"I'm away until October 19.  If it's an emergency, call 911, I guess." ;`)).actions[0] as VacationAction;
    assert.deepEqual([days.seconds, days.addresses, days.subject, days.from, days.handle], [23 * 86400, ['tjs@example.edu', 'ts4z@landru.example.edu'], 'Away', 'tjs@example.edu', 'oct']);
    const secs = (await run('require ["vacation", "vacation-seconds"]; vacation :seconds 1800 "I am in a meeting";')).actions[0] as VacationAction;
    assert.equal(secs.seconds, 1800);
    const zero = (await run('require "vacation"; vacation :days 0 "x";')).actions[0] as VacationAction;
    assert.equal(zero.seconds, 86400, ':days 0 means the minimum, one day');
    await assert.rejects(run('require "vacation"; vacation "a"; vacation "b";'), /more than one vacation/);
  });
});

describe('RFC 5260 date and index', () => {
  it('date with :originalzone, :zone and Received', async () => {
    const R = 'require ["date", "relational", "fileinto"];';
    assert.deepEqual(await actions(`${R} if allof(header :contains "from" "bar@example.com.invalid", date :value "ge" :originalzone "date" "hour" "09", date :value "lt" :originalzone "date" "hour" "17") { fileinto "urgent"; }`), ['fileinto:urgent']);
    assert.deepEqual(await actions(`${R} if date :is :zone "-0500" "date" "hour" "08" { fileinto "ny"; }`), ['fileinto:ny']);
    assert.deepEqual(await actions(`${R} if anyof(date :is "received" "weekday" "0", date :is "received" "weekday" "6") { fileinto "weekend"; }`), ['implicit-keep']);
    assert.deepEqual(await actions(`${R} if date :is "received" "weekday" "1" { fileinto "monday"; }`), ['fileinto:monday']);
    assert.deepEqual(await actions(`${R} if date :is :zone "+0000" "date" "iso8601" "2007-02-26T13:30:00+00:00" { fileinto "iso"; }`), ['fileinto:iso']);
    assert.deepEqual(await actions(`${R} if date :is :originalzone "date" "std11" "Mon, 26 Feb 2007 14:30:00 +0100" { fileinto "std11"; }`), ['fileinto:std11']);
    assert.deepEqual(await actions(`${R} if date :is "date" "julian" "54157" { fileinto "julian"; }`), ['fileinto:julian']);
  });

  it('currentdate (§5 examples)', async () => {
    assert.deepEqual(await actions(`require ["date", "relational", "vacation"];
if allof(currentdate :value "ge" "date" "2007-06-30", currentdate :value "le" "date" "2007-07-07") { vacation :days 7 "I'm away during the first week in July."; }`).then((a) => a[0]), 'vacation');
    assert.deepEqual(await actions(`require ["date", "variables", "fileinto"];
if currentdate :matches "month" "*" { set "month" "\${1}"; }
if currentdate :matches "year"  "*" { set "year"  "\${1}"; }
fileinto "\${month}-\${year}";`), ['fileinto:07-2007']);
  });

  it(':index and :last select header occurrences (§6)', async () => {
    assert.deepEqual(await actions(`require ["date", "relational", "index"];
if date :value "gt" :index 2 :zone "-0500" "received" "iso8601" "2007-02-26T07:00:00-05:00" { redirect "aftercutoff@example.org"; }`), ['redirect:aftercutoff@example.org']);
    assert.deepEqual(await actions('require "index"; if header :index 1 :last :contains "received" "client.example.org" { discard; }'), ['discard']);
    assert.deepEqual(await actions('require "index"; if header :index 1 :contains "received" "client.example.org" { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('require "index"; if address :index 2 :is "to" "baz@example.com.invalid" { discard; }'), ['implicit-keep']);
  });
});

describe('RFC 6609 include', () => {
  it('runs personal scripts, :once, :optional, return and global variables', async () => {
    const scripts: Record<string, string> = {
      always_allow: 'require ["fileinto", "include"]; if address :is "from" "bar@example.com.invalid" { fileinto "allowed"; return; } fileinto "never";',
      setter: 'require ["include", "variables"]; global "box"; set "box" "from-sub";',
      loop: 'require "include"; include "loop";',
    };
    const loadScript = async (name: string, location: string): Promise<string | null> => (location === 'personal' ? (scripts[name] ?? null) : null);
    assert.deepEqual(await actions('require ["include"]; include :personal "always_allow"; include :once "always_allow"; include :once "always_allow";', SAMPLE, { loadScript }), ['fileinto:allowed']);
    assert.deepEqual(await actions('require ["include", "variables", "fileinto"]; global "box"; include "setter"; fileinto "${box}";', SAMPLE, { loadScript }), ['fileinto:from-sub']);
    assert.deepEqual(await actions('require ["include"]; include :optional "missing"; include :global :optional "spam_tests";', SAMPLE, { loadScript }), ['implicit-keep']);
    await assert.rejects(run('require ["include"]; include "missing";', SAMPLE, { loadScript }), /no personal script "missing"/);
    await assert.rejects(run('require ["include"]; include "loop";', SAMPLE, { loadScript }), /include nested deeper/);
  });
});

describe('draft regex', () => {
  it('matches with captures and case folding', async () => {
    assert.deepEqual(await actions('require ["regex", "variables", "fileinto"]; if header :regex "subject" "^\\\\[([a-z-]+)\\\\] .*([0-9]+)\\\\.([0-9]+)" { fileinto "${1}-${2}.${3}"; }'), ['fileinto:acme-users-1.0']);
    assert.deepEqual(await actions('require ["regex"]; if header :regex "subject" "ACME-(USERS|DEVS)" { discard; }'), ['discard']);
    assert.deepEqual(await actions('require ["regex"]; if header :regex :comparator "i;octet" "subject" "ACME" { discard; }'), ['implicit-keep']);
    assert.deepEqual(await actions('require ["regex"]; if address :regex :localpart "from" "^b[[:alpha:]]{2}$" { discard; }'), ['discard']);
    assert.deepEqual(await actions('require ["regex"]; if header :regex "subject" "^(a|b)*$" { discard; }'), ['implicit-keep']);
  });
});

describe('RFC 7352 duplicate', () => {
  it('asks the callback with the Message-ID or :uniqueid', async () => {
    const seen = new Set<string>();
    const duplicate = async (c: { handle: string; id: string }): Promise<boolean> => {
      const key = `${c.handle}|${c.id}`;
      const was = seen.has(key);
      seen.add(key);
      return was;
    };
    const script = 'require ["duplicate", "fileinto", "mailbox"]; if duplicate { fileinto :create "Trash/Duplicate"; }';
    assert.deepEqual(await actions(script, SAMPLE, { duplicate }), ['implicit-keep']);
    assert.deepEqual(await actions(script, SAMPLE, { duplicate }), ['fileinto:Trash/Duplicate+create']);
    const alerts = `require ["duplicate", "variables", "imap4flags", "fileinto"];
if header :matches "subject" "[*] *" {
  if duplicate :seconds 60 :uniqueid "\${1}" { setflag "\\\\seen"; }
  fileinto "Alerts";
}`;
    assert.deepEqual(await actions(alerts, SAMPLE, { duplicate }), ['fileinto:Alerts']);
    assert.deepEqual(await actions(alerts, SAMPLE, { duplicate }), ['fileinto:Alerts[\\seen]']);
    assert.deepEqual(await actions('require "duplicate"; if duplicate :header "X-None" { discard; }', SAMPLE, { duplicate }), ['implicit-keep']);
  });
});

describe('RFC 5293 editheader', () => {
  it('adds and deletes fields; tests see the edits; protected fields stay', async () => {
    const r = await run(`require ["editheader", "variables", "date"];
addheader "X-Hello" "World";
addheader :last "X-Sieve-Filtered" "<kim@job.example.com>";
if currentdate :matches "std11" "*" { addheader "Processing-date" "\${0}"; }
if header :is "X-Hello" "World" { deleteheader "List-ID"; }
deleteheader :index 1 :contains "X-Hello" "Wor";
deleteheader :matches "subject" ["*fwd*"];
set "r" "received"; deleteheader "\${r}";`);
    const names = r.editedHeaders!.map((h) => h.name);
    assert.deepEqual(names.slice(0, 2), ['Processing-date', 'Received']);
    assert.equal(names[names.length - 1], 'X-Sieve-Filtered');
    assert.ok(!names.includes('List-ID'));
    assert.ok(!names.includes('Subject'));
    assert.equal(names.filter((n) => n === 'Received').length, 2);
    assert.ok(!names.includes('X-Hello'));
  });

  it('refuses protected fields when written literally', async () => {
    const { compileSieve } = await import('../../src/sieve/index.js');
    for (const script of ['require "editheader"; deleteheader "Received";', 'require "editheader"; addheader "Delivered-To" "x@y";']) {
      const r = compileSieve(script);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.errors[0]!.message, /may not change/);
    }
  });
});
