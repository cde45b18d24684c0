// Parses each PowerShell file named on the command line with the tree-sitter-pwsh grammar and
// exits 1 if any file has an ERROR or MISSING node (printing where), 0 otherwise.
// PowerShell itself is not available to the tests; this is the next best syntax check.
//
// PowerShell's tokenizer takes the typographic quotes U+2018..U+201B as single quotes, the
// grammar only ASCII ', so they are folded to ' before parsing: a typographic quote left
// undoubled inside a string then shows up as an error, as it would in PowerShell.
// Usage: node parse.cjs FILE...   (after `npm ci --ignore-scripts` in this folder)
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { Parser, Language } = require('web-tree-sitter');

// Every ERROR or MISSING node under `node`, as "row:column kind text".
function problems(node, out) {
  if (node.isError || node.isMissing) {
    const at = `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
    const kind = node.isMissing ? `MISSING ${node.type}` : 'ERROR';
    out.push(`${at} ${kind} ${JSON.stringify(node.text.slice(0, 60))}`);
  }
  for (const child of node.children) {
    problems(child, out);
  }
  return out;
}

async function main() {
  await Parser.init();
  const wasm = path.join(
    path.dirname(require.resolve('tree-sitter-pwsh/package.json')),
    'tree-sitter-powershell.wasm',
  );
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
  let failed = false;
  for (const file of process.argv.slice(2)) {
    const text = fs.readFileSync(file, 'utf8').replace(/[\u2018-\u201b]/g, "'");
    const tree = parser.parse(text);
    for (const problem of problems(tree.rootNode, [])) {
      console.log(`${file}:${problem}`);
      failed = true;
    }
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
