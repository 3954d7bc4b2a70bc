import { runMochaTests } from '../mochaRunner';
import { llamaServerBinary } from '../support/llamaServer';

// Plain Node against a real llama-server (built once from node-llama-cpp's llama.cpp bundle by
// test/harness/llamaServer.sh) serving the shipped model on 127.0.0.1.
try {
  console.log(`llama-server: ${llamaServerBinary()}`);
} catch (e) {
  console.error(e);
  process.exit(1);
}
runMochaTests(__dirname, { timeout: 120000 }).then(
  (r) => process.exit(r.failed > 0 ? 1 : 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
