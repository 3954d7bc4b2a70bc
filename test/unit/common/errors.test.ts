import * as assert from 'assert';
import { asBackendErrorCode, BACKEND_ERROR_CODES, BackendError, isBackendError } from '../../../src/common/errors';

describe('common/errors', () => {
  it('keeps a known backend error code from another process and replaces an unknown one', () => {
    for (const code of BACKEND_ERROR_CODES) assert.strictEqual(asBackendErrorCode(code, 'model-corrupt'), code);
    assert.strictEqual(asBackendErrorCode('gguf-truncated', 'model-corrupt'), 'model-corrupt');
    assert.strictEqual(asBackendErrorCode('', 'malformed'), 'malformed');
  });

  it('BackendError carries its code for the status bar', () => {
    const e = new BackendError('timeout', 'slow');
    assert.strictEqual(e.backendCode, 'timeout');
    assert.strictEqual(isBackendError(e, 'aborted'), false);
    assert.ok(isBackendError(e, 'timeout'));
  });
});
