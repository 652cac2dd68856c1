# A real client for COMPRESS=DEFLATE (RFC 4978): Python's imaplib, its socket wrapped in raw deflate
# once the server says OK, the way clients such as OfflineIMAP do. Prints what it saw as JSON.
# Usage: imaplib_compress.py PORT USER PASSWORD
import imaplib
import json
import sys
import zlib

imaplib.Commands.setdefault('COMPRESS', ('AUTH', 'SELECTED'))


class CompressingIMAP4(imaplib.IMAP4):
    def start_compressing(self):
        self._deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        self._inflate = zlib.decompressobj(-15)
        self._plain = b''

    def _compressed(self):
        return hasattr(self, '_deflate')

    def send(self, data):
        if self._compressed():
            data = self._deflate.compress(data) + self._deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _fill(self):
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise self.abort('socket closed')
            out = self._inflate.decompress(chunk)
            if out:
                self._plain += out
                return

    def read(self, size):
        if not self._compressed():
            return super().read(size)
        while len(self._plain) < size:
            self._fill()
        out, self._plain = self._plain[:size], self._plain[size:]
        return out

    def readline(self):
        if not self._compressed():
            return super().readline()
        while b'\n' not in self._plain:
            self._fill()
        i = self._plain.index(b'\n') + 1
        out, self._plain = self._plain[:i], self._plain[i:]
        return out


port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
m = CompressingIMAP4('127.0.0.1', port)
m.login(user, password)
caps = m.capability()[1][0].decode().split()
typ, _ = m._simple_command('COMPRESS', 'DEFLATE')
m.start_compressing()
result = {'capabilities': caps, 'compress': typ}
typ, data = m.select('INBOX')
result['select'] = [typ, data[0].decode()]
typ, data = m.fetch('1:*', '(UID BODY.PEEK[])')
result['bodies'] = [part[1].decode('latin1') for part in data if isinstance(part, tuple)]
typ, data = m.search(None, 'ALL')
result['search'] = data[0].decode()
typ, data = m._simple_command('COMPRESS', 'DEFLATE')
result['again'] = [typ, data[0].decode()]
typ, _ = m.noop()
result['noop'] = typ
m.logout()
print(json.dumps(result))
