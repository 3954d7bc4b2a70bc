import { runMochaTests } from '../mochaRunner';

// Plain Node: src/core and src/common only (they never import vscode).
runMochaTests(__dirname, { timeout: 60000 }).then(
  (r) => process.exit(r.failed > 0 ? 1 : 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
