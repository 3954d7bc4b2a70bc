import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as ids from '../../src/commandIds';

/** Commands that only links and status actions run: registered, but not in the command palette. */
const INTERNAL = new Set([ids.COMMAND_SET_ENCODING, ids.COMMAND_RETRY_BACKEND, ids.COMMAND_COMPLETION_ACCEPTED]);

describe('command ids', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { contributes: { commands: { command: string }[] } };
  const declared = pkg.contributes.commands.map((c) => c.command);
  const known = Object.values(ids);

  it('match package.json: every contributed command has an id constant, every public constant is contributed', () => {
    assert.deepStrictEqual([...declared].sort(), known.filter((id) => !INTERNAL.has(id)).sort());
  });

  it('are unique and in the tokenscope namespace', () => {
    assert.strictEqual(new Set(known).size, known.length);
    for (const id of known) assert.match(id, /^tokenscope\.[a-zA-Z]+$/);
  });
});
