// Lists functions, methods and arrow functions longer than N lines under a folder, longest first:
//   node scripts/longFunctions.mjs [src] [60]
// (ARCHITECTURE.md: functions on the keystroke, scroll and completion paths stay short.)
import ts from 'typescript';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
const root = process.argv[2] ?? 'src';
const min = Number(process.argv[3] ?? 60);
const files = [];
(function walk(d) { for (const f of readdirSync(d)) { const p = path.join(d, f); if (statSync(p).isDirectory()) walk(p); else if (p.endsWith('.ts')) files.push(p); } })(root);
const rows = [];
for (const f of files) {
  const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const a = sf.getLineAndCharacterOfPosition(n.getStart()).line + 1;
      const b = sf.getLineAndCharacterOfPosition(n.getEnd()).line + 1;
      const name = n.name ? n.name.getText() : ts.isVariableDeclaration(n.parent) ? n.parent.name.getText() : ts.isPropertyAssignment(n.parent) ? n.parent.name.getText() : '(anonymous)';
      if (b - a + 1 > min) rows.push([b - a + 1, `${f}:${a}`, name]);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
}
rows.sort((x, y) => y[0] - x[0]);
for (const r of rows) console.log(r.join('\t'));
