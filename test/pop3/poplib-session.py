# A POP3 session with Python's poplib, driven by the tests: connects (STLS or implicit TLS), logs in
# with USER/PASS, runs the operations given as JSON on argv[1], and prints their results as JSON.
import json
import poplib
import ssl
import sys

spec = json.loads(sys.argv[1])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
if spec["tls"] == "implicit":
    pop = poplib.POP3_SSL("127.0.0.1", spec["port"], context=ctx, timeout=10)
else:
    pop = poplib.POP3("127.0.0.1", spec["port"], timeout=10)
    pop.stls(context=ctx)
out = {"capa": sorted(pop.capa().keys())}
pop.user(spec["user"])
pop.pass_(spec["password"])
for op in spec["ops"]:
    name, args = op[0], op[1:]
    if name == "stat":
        out.setdefault("stat", []).append(list(pop.stat()))
    elif name == "list":
        out.setdefault("list", []).append([l.decode() for l in pop.list()[1]])
    elif name == "uidl":
        out.setdefault("uidl", []).append([l.decode() for l in pop.uidl()[1]])
    elif name == "retr":
        resp, lines, octets = pop.retr(args[0])
        out.setdefault("retr", []).append({"lines": [l.decode("latin-1") for l in lines], "octets": octets})
    elif name == "top":
        resp, lines, octets = pop.top(args[0], args[1])
        out.setdefault("top", []).append([l.decode("latin-1") for l in lines])
    elif name == "dele":
        out.setdefault("dele", []).append(pop.dele(args[0]).decode())
    elif name == "rset":
        pop.rset()
out["quit"] = pop.quit().decode()
print(json.dumps(out))
