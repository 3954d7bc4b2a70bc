import * as fs from 'fs';
import * as path from 'path';
import type * as vscode from 'vscode';
import type { Configuration } from '../../configuration';
import type { BackendService } from '../../services/backendService';

/** Where downloaded models live, and switching the local backend to a model file. */
export class ModelFiles {
  /** `<global storage>/models`: downloads land here. */
  readonly dir: string;

  constructor(
    context: vscode.ExtensionContext,
    private readonly config: Pick<Configuration, 'setModelPath' | 'setBackendKind'>,
    private readonly service: BackendService,
  ) {
    this.dir = path.join(context.globalStorageUri.fsPath, 'models');
  }

  /** GGUF files in the models folder (none when it does not exist yet). */
  downloaded(): string[] {
    try {
      return fs
        .readdirSync(this.dir)
        .filter((f) => f.toLowerCase().endsWith('.gguf'))
        .map((f) => path.join(this.dir, f));
    } catch {
      return [];
    }
  }

  /** Makes `modelPath` ('' = the shipped model) the local backend's model and the local backend the active one. */
  async use(modelPath: string): Promise<void> {
    await this.config.setModelPath(modelPath);
    if (this.service.kind !== 'local') await this.config.setBackendKind('local');
    this.service.reset();
  }
}
