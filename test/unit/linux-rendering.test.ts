import assert from 'node:assert/strict';
import { linuxInstallation } from '../../core/installation.js';
import { expectedSignature, liveSignature, renderTableScript, sameSignature } from '../../orchestrator/provision/linux/nft.js';
import { sudoersContent, sudoersDrift, sudoersLine, SUDOERS_MODE } from '../../orchestrator/provision/linux/sudoers.js';
import { elevatedCommand } from '../../orchestrator/provision/linux/prerequisites.js';
import { toolMissing } from '../../orchestrator/provision/linux/exec.js';

/** `nft -j list table inet t` as nft 1.0.6 printed it for the script below (handles included). */
const LIVE = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 't', handle: 3 } },
    { chain: { family: 'inet', table: 't', name: 'output', handle: 1, type: 'filter', hook: 'output', prio: 0, policy: 'accept' } },
    {
      rule: {
        family: 'inet', table: 't', chain: 'output', handle: 2,
        expr: [
          { match: { op: '==', left: { meta: { key: 'skuid' } }, right: 990 } },
          { match: { op: '==', left: { meta: { key: 'oif' } }, right: 'lo' } },
          { match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { set: [80, 9000] } } },
          { accept: null },
        ],
      },
    },
    {
      rule: {
        family: 'inet', table: 't', chain: 'output', handle: 3,
        expr: [
          { match: { op: '==', left: { meta: { key: 'skuid' } }, right: 990 } },
          { match: { op: '==', left: { meta: { key: 'oif' } }, right: 'lo' } },
          { match: { op: '==', left: { payload: { protocol: 'udp', field: 'dport' } }, right: { set: [80, 9000] } } },
          { accept: null },
        ],
      },
    },
    {
      rule: {
        family: 'inet', table: 't', chain: 'output', handle: 4,
        expr: [{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 990 } }, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }],
      },
    },
    {
      rule: {
        family: 'inet', table: 't', chain: 'output', handle: 5,
        expr: [{ match: { op: '==', left: { meta: { key: 'skuid' } }, right: 991 } }, { reject: { type: 'icmpx', expr: 'admin-prohibited' } }],
      },
    },
  ],
});

describe('nft rule rendering', () => {
  const rules = [
    { identity: 'c-off-bob', loopback: 'deny' as const },
    { identity: 'c-off-alice', loopback: [9000, 80, 80] },
  ];

  it('renders one atomic replace of the table, loopback ports before the reject, identities sorted', () => {
    assert.equal(
      renderTableScript('t', rules),
      [
        'table inet t',
        'delete table inet t',
        'table inet t {',
        '\tchain output {',
        '\t\ttype filter hook output priority filter; policy accept;',
        '\t\tmeta skuid "c-off-alice" oif "lo" tcp dport { 80, 9000 } accept',
        '\t\tmeta skuid "c-off-alice" oif "lo" udp dport { 80, 9000 } accept',
        '\t\tmeta skuid "c-off-alice" reject with icmpx admin-prohibited',
        '\t\tmeta skuid "c-off-bob" reject with icmpx admin-prohibited',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('private and deny reject host loopback too (no accept rule at all)', () => {
    for (const loopback of ['private', 'deny'] as const) {
      const script = renderTableScript('t', [{ identity: 'c-off-a', loopback }]);
      assert.ok(!script.includes('accept\n\t\tmeta'), script);
      assert.ok(!/dport/.test(script));
    }
  });

  it('a live table reads back to the expected signature; a missing rule or another uid does not', () => {
    const withUids = [
      { ...rules[0]!, uid: 991 },
      { ...rules[1]!, uid: 990 },
    ];
    assert.ok(sameSignature(liveSignature(LIVE), expectedSignature(withUids)));
    const flushed = JSON.parse(LIVE) as { nftables: unknown[] };
    flushed.nftables = flushed.nftables.slice(0, 3);
    assert.ok(!sameSignature(liveSignature(JSON.stringify(flushed)), expectedSignature(withUids)));
    assert.ok(!sameSignature(liveSignature(LIVE), expectedSignature([{ ...withUids[0]!, uid: 1234 }, withUids[1]!])));
  });

  it('refuses names that could inject nft syntax', () => {
    assert.throws(() => renderTableScript('t', [{ identity: 'a" accept #', loopback: 'deny' }]));
    assert.throws(() => renderTableScript('t; flush ruleset', []));
  });
});

describe('sudoers rendering', () => {
  const inst = linuxInstallation('ctestab');

  it('is exactly one rule naming the installed node and entry point with no other arguments', () => {
    assert.equal(
      sudoersLine(inst),
      '%ctestab ALL=(root) NOPASSWD: /usr/local/lib/ctestab/bin/node /usr/local/lib/ctestab/app/dist/runner/main.js',
    );
    const content = sudoersContent(inst);
    assert.equal(content.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length, 1);
  });

  it('drift: content, mode and owner each reported; missing file is missing', () => {
    const desired = sudoersContent(inst);
    assert.deepEqual(sudoersDrift({ content: desired, mode: SUDOERS_MODE, uid: 0, gid: 0 }, desired), []);
    assert.deepEqual(sudoersDrift({ content: null, mode: 0, uid: -1, gid: -1 }, desired), ['missing']);
    assert.equal(sudoersDrift({ content: `${desired}ALL ALL=(ALL) NOPASSWD: ALL\n`, mode: 0o644, uid: 1000, gid: 0 }, desired).length, 3);
  });

  it('refuses paths sudoers would parse differently', () => {
    assert.throws(() => sudoersLine({ ...inst, runnerEntry: '/opt/a b/main.js' }));
    assert.throws(() => sudoersLine({ ...inst, runnerNode: '/opt/x,ALL' }));
  });
});

describe('Linux prerequisites messages', () => {
  it('not_elevated names the exact command to run', () => {
    assert.equal(
      elevatedCommand(['setup', '--workspace', '/home/a b', '--yes'], ['/usr/bin/node', '/usr/local/bin/corral']),
      "sudo corral setup --workspace '/home/a b' --yes",
    );
  });

  it('tool_missing names the Debian package and exits 5', () => {
    const err = toolMissing('setfacl');
    assert.equal(err.code, 'tool_missing');
    assert.equal(err.exitCode, 5);
    assert.match(err.message, /\bacl\b/);
    assert.match(toolMissing('nft').message, /nftables/);
    assert.match(toolMissing('visudo').message, /\bsudo\b/);
    assert.match(toolMissing('useradd').message, /\bpasswd\b/);
  });
});
