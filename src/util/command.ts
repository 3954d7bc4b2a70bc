import * as vscode from 'vscode';

/**
 * A command: its id (as declared in package.json `contributes.commands`, see src/commandIds.ts)
 * and what it does. The feature that owns a command constructs it with the services it needs and
 * registers it with `registerCommands` (the shape of VS Code's markdown extension).
 */
export interface Command {
  readonly id: string;
  execute(...args: never[]): unknown;
}

/** Registers every command; the returned Disposable unregisters them all. */
export function registerCommands(...commands: readonly Command[]): vscode.Disposable {
  return vscode.Disposable.from(...commands.map((c) => vscode.commands.registerCommand(c.id, (...args: never[]) => c.execute(...args))));
}
