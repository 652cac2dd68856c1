# A ManageSieve session (RFC 5804) over a raw Python socket, as a Python "managesieve"-style client
# does it: greeting, STARTTLS (capabilities re-issued), AUTHENTICATE with the mechanism and initial
# response given, then LISTSCRIPTS, PUTSCRIPT (a literal), SETACTIVE, GETSCRIPT and LOGOUT.
# Prints JSON with every status line and the capabilities seen. Usage: sasl-session.py '<json spec>'
import base64, json, re, socket, ssl, sys

spec = json.loads(sys.argv[1])

def reader(sock):
    buf = b''
    def line():
        nonlocal buf
        while b'\r\n' not in buf:
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError('connection closed')
            buf += chunk
        l, buf = buf.split(b'\r\n', 1)
        m = re.search(rb'\{(\d+)\}$', l)
        if m:
            n = int(m.group(1))
            while len(buf) < n:
                buf += sock.recv(65536)
            lit, buf = buf[:n], buf[n:]
            return l[:m.start()] + lit + line()
        return l
    def response(on_challenge=None):
        lines = []
        while True:
            l = line().decode('utf-8')
            if re.match(r'^(OK|NO|BYE)\b', l):
                return lines, l
            if on_challenge is not None:
                on_challenge(l)
                continue
            lines.append(l)
    return response

out = {}
sock = socket.create_connection(('127.0.0.1', spec['port']), timeout=15)
response = reader(sock)
out['greeting'], out['greetingStatus'] = response()
sock.sendall(b'STARTTLS\r\n')
_, out['starttls'] = response()
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
sock = ctx.wrap_socket(sock)
response = reader(sock)
out['capabilities'], _ = response()
ir = base64.b64encode(spec['initial'].encode('utf-8')).decode('ascii')
sock.sendall(('AUTHENTICATE "%s" "%s"\r\n' % (spec['mechanism'], ir)).encode('ascii'))
def answer_challenge(challenge):
    # RFC 7628 3.2.3: a failed OAUTHBEARER sends an error challenge; the client answers %x01.
    out['challenge'] = challenge
    sock.sendall(b'"AQ=="\r\n')
_, out['authenticate'] = response(answer_challenge)
if out['authenticate'].startswith('OK'):
    script = spec['script'].encode('utf-8')
    sock.sendall(b'PUTSCRIPT "%s" {%d+}\r\n%s\r\n' % (spec['name'].encode('utf-8'), len(script), script))
    _, out['putscript'] = response()
    sock.sendall(b'SETACTIVE "%s"\r\n' % spec['name'].encode('utf-8'))
    _, out['setactive'] = response()
    sock.sendall(b'LISTSCRIPTS\r\n')
    out['list'], _ = response()
    sock.sendall(b'GETSCRIPT "%s"\r\n' % spec['name'].encode('utf-8'))
    got, _ = response()
    out['getscript'] = '\r\n'.join(got)
sock.sendall(b'LOGOUT\r\n')
_, out['logout'] = response()
print(json.dumps(out))
