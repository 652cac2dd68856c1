# Runs IMAP steps with Python's imaplib (a second real client next to imapflow) and prints one JSON
# result per step: [typ, [data as text...]]. Usage: imaplib-steps.py PORT USER PASSWORD STEPS_JSON
# where STEPS_JSON is a list of [command, arg...]; "login" is done first over STARTTLS, and the
# user may be "authcid:authzid" for a SASL PLAIN login with an authorization identity; a PASSWORD of
# "bearer:TOKEN" logs in with OAUTHBEARER instead (authzid as its a=).
import imaplib, json, ssl, sys

port, user, password, steps = int(sys.argv[1]), sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4('127.0.0.1', port)
m.starttls(ssl_context=ctx)
if password.startswith('bearer:'):
    # SASL OAUTHBEARER (RFC 7628) with the access token after "bearer:", and an authzid (a=) when
    # the user is given as "authcid:authzid" (the token names the authcid).
    authzid = user.split(':', 1)[1] if ':' in user else ''
    gs2 = f'n,a={authzid},' if authzid else 'n,,'
    m.authenticate('OAUTHBEARER', lambda _: f'{gs2}\x01auth=Bearer {password[7:]}\x01\x01'.encode())
elif ':' in user:
    authcid, authzid = user.split(':', 1)
    m.authenticate('PLAIN', lambda _: f'{authzid}\0{authcid}\0{password}'.encode())
else:
    m.login(user, password)

def text(d):
    if isinstance(d, bytes):
        return d.decode('utf-8', 'replace')
    if isinstance(d, tuple):
        return [text(x) for x in d]
    return str(d)

out = []
for step in steps:
    cmd, args = step[0], step[1:]
    try:
        if cmd == 'store':
            typ, data = m.uid('STORE', *args)
        elif cmd == 'expunge':
            typ, data = m.expunge()
        elif cmd == 'append':
            typ, data = m.append(args[0], None, None, args[1].encode())
        elif cmd == 'select':
            # The tagged response's code ([READ-ONLY], [NONEXISTENT]) is what the steps check.
            try:
                typ, data = m.select(*args)
            except imaplib.IMAP4.readonly as e:
                # imaplib raises when a SELECT comes back [READ-ONLY]; the mailbox is selected.
                typ, data = 'READ-ONLY', [str(e)]
                # Forget it, or imaplib refuses every later command itself instead of sending it.
                m.untagged_responses.pop('READ-ONLY', None)
        elif cmd == 'xatom':
            # A command imaplib has no method for (LISTRIGHTS): its untagged answer follows.
            typ, data = m.xatom(*args)
            data = list(data or []) + list(m.response(args[0])[1] or [])
        else:
            typ, data = getattr(m, cmd)(*args)
    except imaplib.IMAP4.error as e:
        typ, data = 'NO', [str(e)]
    out.append([typ, [text(d) for d in (data or []) if d is not None]])
try:
    m.logout()
except Exception:
    pass
print(json.dumps(out))
