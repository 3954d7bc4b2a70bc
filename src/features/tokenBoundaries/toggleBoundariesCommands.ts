import * as vscode from 'vscode';
import { COMMAND_TOGGLE_BOUNDARIES, COMMAND_TOGGLE_BOUNDARIES_GLOBALLY } from '../../commandIds';
import type { Configuration } from '../../configuration';
import type { BoundaryVisibility } from '../../services/boundaryVisibility';
import type { Command } from '../../util/command';

/** "Toggle Token Boundaries in This Editor": this document only, until it is closed; returns the new state. */
export class ToggleBoundariesCommand implements Command {
  readonly id = COMMAND_TOGGLE_BOUNDARIES;

  constructor(private readonly visibility: BoundaryVisibility) {}

  execute(): boolean | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc ? this.visibility.toggle(doc) : undefined;
  }
}

/**
 * "Toggle Token Boundaries Everywhere": flips `tokenscope.boundaries.enabled` in the user settings
 * and drops per-document toggles so that every editor follows it.
 */
export class ToggleBoundariesGloballyCommand implements Command {
  readonly id = COMMAND_TOGGLE_BOUNDARIES_GLOBALLY;

  constructor(
    private readonly visibility: BoundaryVisibility,
    private readonly config: Pick<Configuration, 'boundaries' | 'setBoundariesEnabled'>,
  ) {}

  async execute(): Promise<boolean> {
    const next = !this.config.boundaries.of(undefined).enabled;
    this.visibility.clearOverrides();
    await this.config.setBoundariesEnabled(next);
    return next;
  }
}
