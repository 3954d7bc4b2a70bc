import * as path from 'path';
import { REPO_ROOT } from '../../../corpus';

/**
 * The project's trained FIM model, shipped in the extension (media/models; trained by tools/train). TOKENSCOPE_TEST_MODEL points the
 * llama.cpp tests at another GGUF (e.g. a checkpoint while training).
 */
export const SHIPPED_MODEL = process.env.TOKENSCOPE_TEST_MODEL ?? path.join(REPO_ROOT, 'media', 'models', 'tokenscope-fim-tiny.gguf');

/** The worker as tsc compiled it (tests run from out/). */
export const WORKER_SCRIPT = path.join(REPO_ROOT, 'out', 'src', 'core', 'backend', 'local', 'localWorker.js');
