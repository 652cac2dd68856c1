// The one local authoritative DNS server for tests (mail authentication, MX/MTA-STS routing): real DNS messages over UDP on 127.0.0.1 (encoded and
// decoded with dns-packet), answering from an in-memory zone the test fills. Names without records
// get NXDOMAIN; a name with records of other types gets an empty NOERROR answer (NODATA), as a real
// server does — SPF and DMARC tell the two apart.
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export type StubRecord = { type: 'TXT'; value: string } | { type: 'A'; value: string } | { type: 'MX'; exchange: string; preference: number };

export interface DnsStub {
  /** `127.0.0.1:<port>`, for Resolver.setServers or dnsservice.xml. */
  server: string;
  /** Adds records to a name (case-insensitive). */
  add(name: string, record: StubRecord): void;
  /** Questions about `name` are never answered (a dead or unreachable server). */
  silence(name: string): void;
  /** Questions received, as `name TYPE`. */
  readonly queries: string[];
  close(): Promise<void>;
}

/** A TXT value as DNS character-strings of at most 255 octets each. */
function txtStrings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out.length > 0 ? out : [Buffer.alloc(0)];
}

export async function startDnsStub(): Promise<DnsStub> {
  const zone = new Map<string, StubRecord[]>();
  const silenced = new Set<string>();
  const queries: string[] = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    const name = question.name.toLowerCase().replace(/\.$/, '');
    queries.push(`${name} ${question.type}`);
    if (silenced.has(name)) return;
    const records = zone.get(name);
    const answers: dnsPacket.Answer[] = [];
    for (const r of records ?? []) {
      if (r.type !== question.type) continue;
      if (r.type === 'TXT') answers.push({ type: 'TXT', name: question.name, ttl: 60, class: 'IN', data: txtStrings(r.value) });
      else if (r.type === 'A') answers.push({ type: 'A', name: question.name, ttl: 60, class: 'IN', data: r.value });
      else answers.push({ type: 'MX', name: question.name, ttl: 60, class: 'IN', data: { exchange: r.exchange, preference: r.preference } });
    }
    // RD echoed, RA and AA set; RCODE 3 (NXDOMAIN) for names the zone does not have.
    const flags = dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | (records ? 0 : 3);
    const response = dnsPacket.encode({ type: 'response', id: query.id ?? 0, flags, questions: [question], answers });
    socket.send(response, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  return {
    server: `127.0.0.1:${port}`,
    queries,
    add(name, record) {
      const key = name.toLowerCase().replace(/\.$/, '');
      zone.set(key, [...(zone.get(key) ?? []), record]);
    },
    silence(name) {
      silenced.add(name.toLowerCase().replace(/\.$/, ''));
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
