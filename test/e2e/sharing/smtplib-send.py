# Submits one message with Python's smtplib over STARTTLS, authenticating with SASL PLAIN and an
# authorization identity (OAUTHBEARER's a= when PASSWORD is "bearer:TOKEN"), and prints JSON
# {"auth": [code, text], "send": [code, text]}.
# Usage: smtplib-send.py PORT AUTHCID AUTHZID PASSWORD FROM TO
import json, smtplib, ssl, sys

port, authcid, authzid, password, sender, rcpt = int(sys.argv[1]), *sys.argv[2:7]
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
out = {}
s = smtplib.SMTP('127.0.0.1', port, timeout=20)
s.starttls(context=ctx)
s.ehlo()
try:
    if password.startswith('bearer:'):
        # SASL OAUTHBEARER (RFC 7628): the token names the authcid; the authzid travels as a=.
        mechanism, response = 'OAUTHBEARER', f'n,a={authzid},\x01auth=Bearer {password[7:]}\x01\x01'
    else:
        mechanism, response = 'PLAIN', f'{authzid}\0{authcid}\0{password}'
    code, text = s.auth(mechanism, lambda challenge=None: response, initial_response_ok=True)
    out['auth'] = [code, text.decode()]
except smtplib.SMTPAuthenticationError as e:
    out['auth'] = [e.smtp_code, e.smtp_error.decode()]
if out['auth'][0] == 235:
    msg = f'From: {sender}\r\nTo: {rcpt}\r\nSubject: delegated\r\nMessage-ID: <delegated-{port}@example.test>\r\n\r\nsent on behalf\r\n'
    try:
        s.sendmail(sender, [rcpt], msg)
        out['send'] = [250, 'ok']
    except smtplib.SMTPSenderRefused as e:
        out['send'] = [e.smtp_code, e.smtp_error.decode()]
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        out['send'] = [code, text.decode()]
s.quit()
print(json.dumps(out))
