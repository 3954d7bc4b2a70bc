import { runMochaTests } from '../mochaRunner';

// End-to-end checks from outside VS Code: `npm start` and the packaged .vsix, driven in Chromium.
runMochaTests(__dirname, { timeout: 240000, slow: 30000 }).then(
  (r) => process.exit(r.failed > 0 ? 1 : 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
