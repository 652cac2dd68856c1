// A DNS server on loopback UDP for tests: answers A, MX and TXT questions from a table with real DNS
// messages (dns-packet), NXDOMAIN for names it does not know and an empty answer (NODATA) for a known
// name without that type. Point a resolver at `server` ("127.0.0.1:port").
import dgram from 'node:dgram';
import dnsPacket from 'dns-packet';

export interface DnsZone {
  A?: Record<string, string[]>;
  MX?: Record<string, Array<{ exchange: string; preference: number }>>;
  TXT?: Record<string, string[]>;
}

export class DnsStub {
  /** Questions asked, as "TYPE name". */
  readonly queries: string[] = [];

  private constructor(
    private readonly socket: dgram.Socket,
    public zone: DnsZone,
  ) {}

  static async start(zone: DnsZone): Promise<DnsStub> {
    const socket = dgram.createSocket('udp4');
    const stub = new DnsStub(socket, zone);
    socket.on('message', (msg, rinfo) => stub.answer(msg, rinfo));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return stub;
  }

  get server(): string {
    return `127.0.0.1:${this.socket.address().port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private answer(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    let query: dnsPacket.DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const q = query.questions?.[0];
    if (!q) return;
    const name = q.name.toLowerCase();
    this.queries.push(`${q.type} ${name}`);
    const known = [this.zone.A, this.zone.MX, this.zone.TXT].some((t) => t && name in t);
    const answers: dnsPacket.Answer[] = [];
    if (q.type === 'A') for (const data of this.zone.A?.[name] ?? []) answers.push({ type: 'A', name: q.name, ttl: 60, data });
    if (q.type === 'MX') for (const mx of this.zone.MX?.[name] ?? []) answers.push({ type: 'MX', name: q.name, ttl: 60, data: mx });
    if (q.type === 'TXT') for (const data of this.zone.TXT?.[name] ?? []) answers.push({ type: 'TXT', name: q.name, ttl: 60, data });
    const response = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (known ? 0 : 3),
      questions: [q],
      answers,
    });
    this.socket.send(response, rinfo.port, rinfo.address);
  }
}
