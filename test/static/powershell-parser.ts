/**
 * tree-sitter-powershell, loaded through web-tree-sitter (WebAssembly: no native build, works on
 * Node 20 here). The grammar's .wasm ships inside the npm package tree-sitter-powershell.
 *
 * V8 tiers WebAssembly up to TurboFan in background threads; for this 1 MB grammar that costs
 * ~30 s of CPU and delays process exit, on a 2-core machine. Liftoff alone parses these files
 * in milliseconds, so the flag is set before the module is compiled (it affects WebAssembly only).
 */
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import { Language, Parser, type Node, type Tree } from 'web-tree-sitter';

v8.setFlagsFromString('--liftoff-only');

let parser: Promise<Parser> | undefined;

async function load(): Promise<Parser> {
  await Parser.init();
  const require = createRequire(import.meta.url);
  const wasm = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
  const language = await Language.load(wasm);
  const p = new Parser();
  p.setLanguage(language);
  return p;
}

export async function parsePowerShell(source: string): Promise<Tree> {
  parser ??= load();
  const tree = (await parser).parse(source);
  if (tree === null) throw new Error('tree-sitter returned no tree');
  return tree;
}

export interface SyntaxProblem {
  kind: 'ERROR' | 'MISSING';
  line: number;
  column: number;
  text: string;
}

/** ERROR and MISSING nodes (only subtrees that contain one are visited). */
export function syntaxProblems(node: Node): SyntaxProblem[] {
  if (!node.hasError && !node.isMissing) return [];
  const here: SyntaxProblem[] = [];
  if (node.isError || node.isMissing) {
    here.push({
      kind: node.isMissing ? 'MISSING' : 'ERROR',
      line: node.startPosition.row + 1,
      column: node.startPosition.column + 1,
      text: node.text.slice(0, 80),
    });
  }
  for (const child of node.children) here.push(...syntaxProblems(child));
  return here;
}

/** Every descendant of `node` of one of the given types (depth first). */
export function descendants(node: Node, types: ReadonlySet<string>): Node[] {
  return node.descendantsOfType([...types]);
}
