import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Settings that name files, executables or endpoints are machine-scoped (a workspace cannot point
 * the extension at another file or server) and restricted in an untrusted workspace.
 */
describe('settings: machine scope and untrusted workspaces', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
    capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
    contributes: { configuration: { properties: Record<string, { scope?: string; markdownDescription?: string }> } };
  };
  const props = pkg.contributes.configuration.properties;
  const restricted = new Set(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations);
  /** Keys whose value is a path, a URL or a remote model name. */
  const namesAFileOrEndpoint = (key: string): boolean => /^tokenscope\.model\.(path|draftPath)$/.test(key) || /^tokenscope\.server\.(url|model)$/.test(key);

  it('every setting that names a file or an endpoint is machine-scoped and restricted when untrusted', () => {
    const keys = Object.keys(props).filter(namesAFileOrEndpoint);
    assert.ok(keys.includes('tokenscope.model.path') && keys.includes('tokenscope.model.draftPath') && keys.includes('tokenscope.server.url'));
    for (const k of keys) {
      assert.strictEqual(props[k]!.scope, 'machine', `${k} is machine-scoped`);
      assert.ok(restricted.has(k), `${k} is restricted in untrusted workspaces`);
    }
  });

  it('every restricted setting exists', () => {
    for (const k of restricted) assert.ok(props[k], `${k} is a contributed setting`);
  });
});
