import assert from 'node:assert/strict';
import { posixPaths, windowsPaths, type PathRules } from '../../core/paths.js';

type Case = [rules: PathRules, op: 'within' | 'samePath', a: string, b: string, expected: boolean, why: string];

const P = posixPaths;
const W = windowsPaths;

// One table for both flavours: [rules, op, path, root-or-other, expected, why].
const CASES: Case[] = [
  [P, 'within', '/', '/', true, 'root is within itself'],
  [P, 'within', '/etc', '/', true, 'everything is within /'],
  [P, 'within', '/home/a/ws', '/home/a/ws', true, 'same path'],
  [P, 'within', '/home/a/ws/', '/home/a/ws', true, 'trailing separator on the path'],
  [P, 'within', '/home/a/ws', '/home/a/ws/', true, 'trailing separator on the root'],
  [P, 'within', '/home/a/ws/src/x', '/home/a/ws', true, 'deeper'],
  [P, 'within', '/home/a/wsx', '/home/a/ws', false, 'sibling sharing a prefix'],
  [P, 'within', '/home/a', '/home/a/ws', false, 'parent is not within child'],
  [P, 'within', '/home/a/ws/../other', '/home/a/ws', false, '.. leaves the root'],
  [P, 'within', '/home/a/ws/./src', '/home/a/ws', true, '. stays'],
  [P, 'within', '/home/a/WS', '/home/a/ws', false, 'POSIX is case-sensitive'],
  [P, 'samePath', '/home/a/ws/', '/home/a/ws', true, 'trailing separator'],
  [P, 'samePath', '/home/a//ws', '/home/a/ws', true, 'doubled separator'],
  [P, 'samePath', '/home/a/Ws', '/home/a/ws', false, 'case matters on POSIX'],
  [W, 'within', 'C:\\Users\\a\\ws', 'C:\\Users\\a\\ws', true, 'same path'],
  [W, 'within', 'c:\\users\\A\\WS\\src', 'C:\\Users\\a\\ws', true, 'case-insensitive'],
  [W, 'within', 'C:/Users/a/ws/src', 'C:\\Users\\a\\ws', true, 'forward slashes are separators'],
  [W, 'within', 'C:\\Users\\a\\ws\\', 'C:\\Users\\a\\ws', true, 'trailing separator'],
  [W, 'within', 'C:\\Users\\a\\wsx', 'C:\\Users\\a\\ws', false, 'sibling sharing a prefix'],
  [W, 'within', 'C:\\Users\\a\\ws\\..\\b', 'C:\\Users\\a\\ws', false, '.. leaves the root'],
  [W, 'within', 'D:\\Users\\a\\ws', 'C:\\Users\\a\\ws', false, 'another drive'],
  [W, 'within', 'C:\\anything', 'C:\\', true, 'drive root'],
  [W, 'within', 'C:\\', 'C:\\', true, 'drive root within itself'],
  [W, 'within', '\\\\server\\share\\ws\\x', '\\\\server\\share\\ws', true, 'UNC below'],
  [W, 'within', '\\\\SERVER\\Share\\ws', '\\\\server\\share', true, 'UNC case-insensitive'],
  [W, 'within', '\\\\server\\other\\ws', '\\\\server\\share', false, 'another UNC share'],
  [W, 'samePath', 'C:\\Users\\a\\ws\\', 'c:\\users\\a\\ws', true, 'case and trailing separator'],
  [W, 'samePath', 'C:/Users/a/ws', 'C:\\Users\\a\\ws', true, 'separators'],
  [W, 'samePath', 'C:\\Users\\a\\ws\\.', 'C:\\Users\\a\\ws', true, '. segment'],
  [W, 'samePath', 'C:\\Users\\a\\ws', 'C:\\Users\\a\\ws2', false, 'different names'],
];

describe('core/paths: within and samePath, POSIX and Windows', () => {
  for (const [rules, op, a, b, expected, why] of CASES) {
    it(`${rules.flavour} ${op}(${JSON.stringify(a)}, ${JSON.stringify(b)}) = ${expected}: ${why}`, () => {
      assert.equal(rules[op](a, b), expected);
    });
  }

  it('isAbsolute follows each flavour', () => {
    assert.equal(P.isAbsolute('/x'), true);
    assert.equal(P.isAbsolute('x/y'), false);
    assert.equal(W.isAbsolute('C:\\x'), true);
    assert.equal(W.isAbsolute('\\\\server\\share\\x'), true);
    assert.equal(W.isAbsolute('x\\y'), false);
    assert.equal(W.isAbsolute('C:x'), false, 'drive-relative is not absolute');
  });
});

describe('core/accounts: account names compared as each OS does', () => {
  it('Linux names are exact; Windows names (and DOMAIN\\name) case-insensitive', async () => {
    const { sameAccountName } = await import('../../core/accounts.js');
    assert.equal(sameAccountName('posix', 'alice', 'alice'), true);
    assert.equal(sameAccountName('posix', 'Alice', 'alice'), false);
    assert.equal(sameAccountName('windows', 'Alice', 'alice'), true);
    assert.equal(sameAccountName('windows', 'AzureAD\\Alice', 'azuread\\alice'), true);
    assert.equal(sameAccountName('windows', 'DOMAIN\\bob', 'OTHER\\bob'), false);
  });
});
