import assert from 'node:assert/strict';
import { ipv6Text, packetViolation, parseIpPacket, parseNflogDatagram, SequenceGaps, type LoggedPacket } from '../../runner/linux/nflog-records.js';
import { configRequest } from '../../runner/linux/nflog.js';
import { defaultRouteRequest, refusalTableText } from '../../runner/linux/refusal-table.js';
import { nflogSource, SessionViolations, type CommandViolations } from '../../runner/linux/violations.js';
import { violationLines } from '../../orchestrator/cli/violations.js';
import { explainLines } from '../../orchestrator/cli/explain.js';
import type { ViolationRecord } from '../../core/protocol.js';

// Datagrams as kernel 6.18 delivered them here to the session's socket (a TCP connect to
// 10.1.2.3:8080 and a UDP datagram to [2001:db8::53]:53, both from uid 65534).
const REAL_TCP4 =
  '8400000000040000000000000000000002000007080001000800030005000a0000000000080005000000000108000b000000fffe08000e000000fffe08000c0000000000400009004500003c57414000400658767f0000010a010203ab901f90933c2f5b00000000a002ffd78b3300000204ffd70402080af082f122000000000103030a';
const REAL_UDP6 =
  '800000000004000000000000000000000a0000070800010086dd030005000a0000000000080005000000000108000b000000fffe08000e000000fffe08000c0000000001390009006008ecd9000d11400000000000000000000000000000000120010db8000000000000000000000053b5fb0035000d2e2b68656c6c6f000000';

function attr(type: number, value: Buffer): Buffer {
  const a = Buffer.alloc((4 + value.length + 3) & ~3);
  a.writeUInt16LE(4 + value.length, 0);
  a.writeUInt16LE(type, 2);
  value.copy(a, 4);
  return a;
}
const be32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
};
function message(attrs: Buffer[], type = 0x0400): Buffer {
  const body = Buffer.concat([Buffer.from([2, 0, 0, 7]), ...attrs]);
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  return Buffer.concat([h, body]);
}
function ipv4(daddr: number[], protocol: number, dport: number, ihl = 5): Buffer {
  const p = Buffer.alloc(ihl * 4 + 8);
  p[0] = 0x40 | ihl;
  p[9] = protocol;
  Buffer.from([127, 0, 0, 1]).copy(p, 12);
  Buffer.from(daddr).copy(p, 16);
  p.writeUInt16BE(40000, ihl * 4);
  p.writeUInt16BE(dport, ihl * 4 + 2);
  return p;
}
function ipv6(daddr: string, next: number, upper: Buffer, extensions: Buffer[] = []): Buffer {
  const h = Buffer.alloc(40);
  h[0] = 0x60;
  h[6] = extensions.length > 0 ? 0 : next;
  Buffer.from(daddr, 'hex').copy(h, 24);
  return Buffer.concat([h, ...extensions, upper]);
}
const ports = (dport: number) => {
  const b = Buffer.alloc(8);
  b.writeUInt16BE(5000, 0);
  b.writeUInt16BE(dport, 2);
  return b;
};

describe('nflog: the refused-packet messages (nflog-records.ts)', () => {
  it('reads the kernel\'s own datagrams: destination, port, protocol, uid, sequence', () => {
    assert.deepEqual(parseNflogDatagram(Buffer.from(REAL_TCP4, 'hex')), [{ ipVersion: 4, address: '10.1.2.3', protocol: 6, port: 8080, uid: 65534, seq: 0 }]);
    assert.deepEqual(parseNflogDatagram(Buffer.from(REAL_UDP6, 'hex')), [{ ipVersion: 6, address: '2001:db8::53', protocol: 17, port: 53, uid: 65534, seq: 1 }]);
  });

  it('several messages in one datagram; other message types skipped; the length given bounds the read', () => {
    const one = message([attr(9, ipv4([192, 0, 2, 1], 17, 53)), attr(12, be32(4))]);
    const other = message([attr(9, ipv4([10, 0, 0, 1], 6, 80))], 0x0002);
    const two = message([attr(9, ipv4([10, 9, 9, 9], 6, 443)), attr(11, be32(1000))]);
    const all = Buffer.concat([one, other, two, Buffer.alloc(64, 0xee)]);
    const got = parseNflogDatagram(all, one.length + other.length + two.length);
    assert.deepEqual(got.map((p) => `${p.address}:${p.port}/${p.protocol} uid=${p.uid} seq=${p.seq}`), ['192.0.2.1:53/17 uid=null seq=4', '10.9.9.9:443/6 uid=1000 seq=null']);
    assert.deepEqual(parseNflogDatagram(all, one.length), parseNflogDatagram(one));
  });

  it('hostile or truncated frames: nothing read past a length, nothing thrown', () => {
    const real = Buffer.from(REAL_TCP4, 'hex');
    // Every cut of a real datagram parses without throwing, and never invents a port.
    for (let n = 0; n <= real.length; n++) {
      const got = parseNflogDatagram(real.subarray(0, n));
      for (const p of got) assert.ok(p.port === null || p.port === 8080, `cut at ${n}: ${JSON.stringify(p)}`);
    }
    // A message length past the datagram, or under a header: stop.
    const long = Buffer.from(real);
    long.writeUInt32LE(real.length + 1000, 0);
    assert.deepEqual(parseNflogDatagram(long), []);
    const short = Buffer.from(real);
    short.writeUInt32LE(8, 0);
    assert.deepEqual(parseNflogDatagram(short), []);
    // An attribute length past the message, or under 4: the attributes stop there.
    const badAttr = message([attr(11, be32(5)), Buffer.from([0xff, 0x7f, 9, 0]), attr(9, ipv4([10, 0, 0, 1], 6, 80))]);
    assert.deepEqual(parseNflogDatagram(badAttr), [{ ipVersion: null, address: '', protocol: null, port: null, uid: 5, seq: null }]);
    const zeroAttr = message([Buffer.from([0, 0, 9, 0]), attr(9, ipv4([10, 0, 0, 1], 6, 80))]);
    assert.equal(parseNflogDatagram(zeroAttr)[0]!.address, '');
    // A uid attribute shorter than 4 bytes is ignored.
    assert.equal(parseNflogDatagram(message([attr(11, Buffer.from([1, 2]))]))[0]!.uid, null);
    // Random bytes: no exception, whatever comes out.
    let seed = 7;
    for (let i = 0; i < 2000; i++) {
      const len = 16 + (i % 300);
      const b = Buffer.alloc(len);
      for (let j = 0; j < len; j++) b[j] = (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
      b.writeUInt32LE(len, 0);
      b.writeUInt16LE(0x0400, 4);
      parseNflogDatagram(b);
    }
  });

  it('IPv4: options (IHL), later fragments and a copy cut inside the ports', () => {
    assert.deepEqual(parseIpPacket(ipv4([10, 1, 1, 1], 6, 22, 7)), { ipVersion: 4, address: '10.1.1.1', protocol: 6, port: 22 });
    const frag = ipv4([10, 1, 1, 1], 17, 53);
    frag.writeUInt16BE(0x0010, 6); // fragment offset 16
    assert.equal(parseIpPacket(frag).port, null);
    const badIhl = ipv4([10, 1, 1, 1], 6, 80);
    badIhl[0] = 0x42; // IHL 2: under the header's own size
    assert.equal(parseIpPacket(badIhl).port, null);
    const hugeIhl = ipv4([10, 1, 1, 1], 6, 80);
    hugeIhl[0] = 0x4f; // IHL 15: past the copy
    assert.equal(parseIpPacket(hugeIhl).port, null);
    assert.equal(parseIpPacket(ipv4([10, 1, 1, 1], 6, 80).subarray(0, 22)).port, null);
    assert.deepEqual(parseIpPacket(ipv4([10, 1, 1, 1], 1, 0)), { ipVersion: 4, address: '10.1.1.1', protocol: 1, port: null });
    assert.deepEqual(parseIpPacket(Buffer.from([0x45, 0])), { ipVersion: 4, address: '', protocol: null, port: null });
    assert.deepEqual(parseIpPacket(Buffer.from([0x25, 0, 0, 0])), { ipVersion: null, address: '', protocol: null, port: null });
  });

  it('IPv6: extension headers walked with bounds, fragments, a loop of extensions cut off', () => {
    const dst = '20010db8000000000000000000000001';
    assert.deepEqual(parseIpPacket(ipv6(dst, 6, ports(443))), { ipVersion: 6, address: '2001:db8::1', protocol: 6, port: 443 });
    const hop = Buffer.alloc(8);
    hop[0] = 17; // next: UDP
    assert.deepEqual(parseIpPacket(ipv6(dst, 17, ports(53), [hop])), { ipVersion: 6, address: '2001:db8::1', protocol: 17, port: 53 });
    // An extension whose length runs past the copy: no port.
    const longHop = Buffer.alloc(8);
    longHop[0] = 17;
    longHop[1] = 200;
    assert.equal(parseIpPacket(ipv6(dst, 17, ports(53), [longHop])).port, null);
    // A later fragment: protocol known, no port.
    const frag = Buffer.alloc(8);
    frag[0] = 17;
    frag.writeUInt16BE(8 << 3, 2);
    const firstHop = Buffer.alloc(8);
    firstHop[0] = 44;
    assert.deepEqual(parseIpPacket(ipv6(dst, 44, ports(53), [firstHop, frag])), { ipVersion: 6, address: '2001:db8::1', protocol: 17, port: null });
    // Hop-by-hop headers pointing at each other forever: given up after a bound.
    const loop = Array.from({ length: 20 }, () => Buffer.alloc(8));
    assert.deepEqual(parseIpPacket(ipv6(dst, 0, Buffer.alloc(0), loop)), { ipVersion: 6, address: '2001:db8::1', protocol: null, port: null });
    assert.deepEqual(parseIpPacket(ipv6(dst, 6, ports(1)).subarray(0, 39)), { ipVersion: 6, address: '', protocol: null, port: null });
  });

  it('IPv6 text as RFC 5952 writes it', () => {
    const t = (hex: string) => ipv6Text(Buffer.from(hex, 'hex'));
    assert.equal(t('20010db8000000000000000000000053'), '2001:db8::53');
    assert.equal(t('00000000000000000000000000000001'), '::1');
    assert.equal(t('00000000000000000000000000000000'), '::');
    assert.equal(t('20010db8000100000001000000000001'), '2001:db8:1:0:1::1');
    assert.equal(t('20010db8000000010000000000000001'), '2001:db8:0:1::1');
    assert.equal(t('00000000000000000000ffffc0000201'), '::ffff:192.0.2.1');
    assert.equal(t('fe800000000000000000000000000001'), 'fe80::1');
  });

  it('a packet as a violation record: kind connect, target address:port, operation packet.<protocol>', () => {
    const p = (over: Partial<LoggedPacket>): LoggedPacket => ({ ipVersion: 4, address: '10.1.2.3', protocol: 6, port: 8080, uid: 1, seq: 0, ...over });
    assert.deepEqual(packetViolation(p({}), 'R', 'T'), { kind: 'connect', target: '10.1.2.3:8080', operation: 'packet.tcp', time: 'T', rule: 'R', source: 'nflog' });
    assert.equal(packetViolation(p({ ipVersion: 6, address: '2001:db8::53', protocol: 17, port: 53 }), 'R', 'T').target, '[2001:db8::53]:53');
    assert.deepEqual([packetViolation(p({ protocol: 1, port: null }), 'R', 'T').target, packetViolation(p({ protocol: 1, port: null }), 'R', 'T').operation], ['10.1.2.3', 'packet.icmp']);
    assert.equal(packetViolation(p({ protocol: 99, port: null }), 'R', 'T').operation, 'packet.proto-99');
    assert.equal(packetViolation(p({ ipVersion: null, address: '', protocol: null, port: null }), 'R', 'T').target, '');
  });

  it('sequence gaps count the messages lost, an overflow counts at least one and is not counted twice', () => {
    const g = new SequenceGaps();
    assert.equal(g.see(0), 0);
    assert.equal(g.see(1), 0);
    assert.equal(g.see(5), 3);
    assert.equal(g.overflow(), 1);
    assert.equal(g.see(9), 2, 'the gap of 3 (6, 7, 8) less the one the overflow counted');
    assert.equal(g.see(3), 0, 'an older number is not a gap');
    assert.equal(g.see(null), 0);
    const late = new SequenceGaps();
    assert.equal(late.see(2), 2, 'a fresh instance starts at 0: the first two were lost');
    const wrap = new SequenceGaps(0xffffffff);
    assert.equal(wrap.see(0xffffffff), 0);
    assert.equal(wrap.see(1), 1, 'across the wrap of the u32');
  });
});

describe('nflog: the requests to the kernel (pure)', () => {
  it('the group bind: NFULNL_MSG_CONFIG with bind, copy range, queue threshold 1 and sequence numbers', () => {
    const r = configRequest(7, 128, 9);
    assert.equal(r.readUInt32LE(0), r.length);
    assert.equal(r.readUInt16LE(4), 0x0401);
    assert.equal(r.readUInt16LE(6), 5, 'NLM_F_REQUEST | NLM_F_ACK');
    assert.equal(r.readUInt32LE(8), 9);
    assert.equal(r.readUInt16BE(18), 7, 'res_id: the group, big-endian');
    assert.equal(
      r.subarray(20).toString('hex'),
      '0500010001000000' + '0a000200000000800200' + '0000' + '0800050000000001' + '0600060000010000',
    );
  });

  it('the routes: default dev lo (IPv4 with src 127.0.0.1, scope link)', () => {
    const v4 = defaultRouteRequest(4, 1);
    assert.equal(v4.readUInt32LE(0), v4.length);
    assert.equal(v4.readUInt16LE(4), 24);
    assert.deepEqual([...v4.subarray(16, 28)], [2, 0, 0, 0, 254, 4, 253, 1, 0, 0, 0, 0]);
    assert.equal(v4.subarray(28).toString('hex'), '0800040001000000' + '080007007f000001');
    const v6 = defaultRouteRequest(6, 2);
    assert.deepEqual([...v6.subarray(16, 28)], [10, 0, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0]);
    assert.equal(v6.subarray(28).toString('hex'), '0800040001000000');
  });

  it('the table: loopback through, everything else logged then reset (TCP) or dropped', () => {
    const t = refusalTableText(7);
    assert.match(t, /ip daddr 127\.0\.0\.0\/8 accept\n\t\tip6 daddr ::1 accept\n\t\tlog group 7 goto refuse/);
    assert.match(t, /meta l4proto tcp reject with tcp reset\n\t\tdrop/);
  });
});

describe('nflog: records per command and what the user sees', () => {
  const fake = () => {
    const queue: LoggedPacket[] = [];
    const socket = { lost: 0, drain: () => queue.splice(0), close: () => undefined };
    return { queue, socket };
  };
  const packet = (address: string, port: number, protocol = 6): LoggedPacket => ({ ipVersion: 4, address, protocol, port, uid: 1, seq: null });

  it('each refusal goes to the command running when it was read; waiting ones at a start are an earlier command\'s; losses are counted', async () => {
    const { queue, socket } = fake();
    const source = nflogSource(socket, 'offline');
    const sv = new SessionViolations([source]);
    const first = sv.begin();
    queue.push(packet('10.0.0.1', 80));
    const a = await new Promise<CommandViolations>((resolve) => sv.end(first, resolve, true));
    assert.deepEqual(a.records.map((r) => r.target), ['10.0.0.1:80']);
    queue.push(packet('10.0.0.9', 9)); // a background process of the first, after its end
    const second = sv.begin();
    queue.push(packet('192.0.2.1', 53, 17));
    socket.lost = 3;
    const b = await new Promise<CommandViolations>((resolve) => sv.end(second, resolve, true));
    assert.deepEqual(b.records.map((r) => `${r.operation} ${r.target}`), ['packet.udp 192.0.2.1:53']);
    assert.equal(b.dropped, 3);
    assert.equal(source.refusals, 6, 'every refusal read or lost counts for the offline notice');
    sv.close();
  });

  it('corral: blocked: lines and --explain for refused packets', () => {
    const v = (target: string, operation: string, rule = 'the session is offline (network: "offline")'): ViolationRecord => ({ kind: 'connect', target, operation, time: '', rule, source: 'nflog' });
    assert.deepEqual(violationLines([v('10.1.2.3:80', 'packet.tcp'), v('10.1.2.3:80', 'packet.tcp'), v('192.0.2.1:53', 'packet.udp'), v('10.1.2.3', 'packet.icmp')]), [
      'corral: blocked: connect to 10.1.2.3:80 (the session is offline (network: "offline"))\n',
      'corral: blocked: send a UDP datagram to 192.0.2.1:53 (the session is offline (network: "offline"))\n',
      'corral: blocked: send a packet (icmp) to 10.1.2.3 (the session is offline (network: "offline"))\n',
    ]);
    const ctx = { uid: 1000, home: '/home/alice', userConfig: '/home/alice/.config/corral/config.json', ownerOf: () => null };
    const lines = explainLines([v('10.1.2.3:80', 'packet.tcp'), v('192.0.2.1:53', 'packet.udp'), v('10.1.2.3:9', 'packet.udp'), v('10.1.2.3:443', 'packet.tcp', 'a direct connection: the session reaches the network only through its allowlist proxy')], [], ctx);
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^corral: explain: connect to 10\.1\.2\.3:80 — add "10\.1\.2\.3:80" to "network\.allow" in \/home\/alice\/\.config\/corral\/config\.json, or pass --allow-host 10\.1\.2\.3:80 .*--network online \(not applied\)\n$/);
    assert.match(lines[1]!, /name lookup.*--allow-host HOST.*--network online/);
    assert.match(lines[2]!, /proxy carries TCP only: --network online/);
    assert.match(lines[3]!, /HTTPS_PROXY/);
  });
});
