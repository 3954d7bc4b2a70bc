import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';
import { REPO_ROOT } from '../../corpus';

/** Tokenizes with the same TextMate engine VS Code uses (vscode-textmate + Oniguruma WASM). */
async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = fs.readFileSync(path.join(REPO_ROOT, 'node_modules/vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p: string[]) => new oniguruma.OnigScanner(p), createOnigString: (s: string) => new oniguruma.OnigString(s) }),
    loadGrammar: (scopeName: string) => {
      if (scopeName !== 'text.tokenscope-prompt') return Promise.resolve(null);
      const file = path.join(REPO_ROOT, 'syntaxes/tokenscope-prompt.tmLanguage.json');
      return Promise.resolve(vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file));
    },
  });
  const g = await registry.loadGrammar('text.tokenscope-prompt');
  if (!g) throw new Error('grammar not loaded');
  return g;
}

/** scope names of the text `needle` (first occurrence) in `line`. */
function scopesOf(grammar: vsctm.IGrammar, line: string, needle: string): string[] {
  const at = line.indexOf(needle);
  assert.ok(at >= 0, `${needle} not in ${line}`);
  const r = grammar.tokenizeLine(line, vsctm.INITIAL);
  const tok = r.tokens.find((t) => t.startIndex <= at && t.endIndex > at);
  assert.ok(tok, `no token at ${at}`);
  return tok.scopes;
}

describe('syntaxes: tokenscope-prompt grammar', () => {
  let grammar: vsctm.IGrammar;
  before(async () => (grammar = await loadGrammar()));

  const cases: [string, string, string][] = [
    ['<|im_start|>system', '<|im_start|>', 'keyword.control.special-token.tokenscope-prompt'],
    ['<|im_start|>system', 'system', 'entity.name.tag.role.tokenscope-prompt'],
    ['<|start_header_id|>assistant<|end_header_id|>', 'assistant', 'entity.name.tag.role.tokenscope-prompt'],
    ['<|start|>assistant<|channel|>analysis<|message|>', '<|message|>', 'keyword.control.special-token.tokenscope-prompt'],
    ['<|start|>assistant<|channel|>analysis<|message|>', 'analysis', 'entity.name.tag.role.tokenscope-prompt'],
    ['text<|endoftext|>', '<|endoftext|>', 'keyword.control.special-token.tokenscope-prompt'],
    ['<｜fim▁begin｜>x<｜fim▁hole｜>', '<｜fim▁hole｜>', 'keyword.control.special-token.tokenscope-prompt'],
    ['<fim_prefix>def f():<fim_suffix>', '<fim_suffix>', 'keyword.control.fim-marker.tokenscope-prompt'],
    ['<PRE> x <SUF>y <MID>', '<MID>', 'keyword.control.fim-marker.tokenscope-prompt'],
    ['[SUFFIX]b[PREFIX]a', '[PREFIX]', 'keyword.control.fim-marker.tokenscope-prompt'],
    ['[INST] <<SYS>> x <</SYS>> [/INST]', '[/INST]', 'keyword.control.chat-marker.tokenscope-prompt'],
    ['<start_of_turn>user', '<start_of_turn>', 'keyword.control.chat-marker.tokenscope-prompt'],
    ['User: hello', 'User', 'entity.name.tag.role.tokenscope-prompt'],
    ['Hello {{ name }}!', 'name', 'variable.other.placeholder.tokenscope-prompt'],
    ['Today is {date}.', '{date}', 'variable.other.placeholder.tokenscope-prompt'],
    ['Use ${doc} here', '${doc}', 'variable.other.placeholder.tokenscope-prompt'],
    ['{% if verbose %}x', 'if', 'keyword.control.template.tokenscope-prompt'],
    ['a {# note #} b', 'note', 'comment.block.template.tokenscope-prompt'],
  ];
  for (const [line, needle, scope] of cases) {
    it(`${JSON.stringify(needle)} in ${JSON.stringify(line)} → ${scope}`, () => {
      assert.ok(scopesOf(grammar, line, needle).includes(scope), `scopes: ${scopesOf(grammar, line, needle).join(' ')}`);
    });
  }

  it('leaves plain prose and JSON braces alone', () => {
    for (const [line, needle] of [
      ['The user said hello.', 'user'],
      ['{"a": 1}', '"a"'],
      ['a < b and c > d', '<'],
    ] as const) {
      const scopes = scopesOf(grammar, line, needle);
      assert.deepStrictEqual(scopes, ['text.tokenscope-prompt'], `${needle}: ${scopes.join(' ')}`);
    }
  });

  it('tokenizes the sample prompt file of the fixture workspace', () => {
    const text = fs.readFileSync(path.join(REPO_ROOT, 'test/fixtures/workspace/chat.prompt'), 'utf8');
    let state = vsctm.INITIAL;
    let specials = 0;
    for (const line of text.split('\n')) {
      const r = grammar.tokenizeLine(line, state);
      state = r.ruleStack;
      specials += r.tokens.filter((t) => t.scopes.some((s) => s.startsWith('keyword.control.special-token'))).length;
    }
    assert.strictEqual(specials, 7, "the 7 special tokens of chat.prompt (<|im_start|> ×2, <|im_end|> ×2, header ids ×2, <|endoftext|>)");
  });
});
