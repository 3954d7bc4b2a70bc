import * as vscode from 'vscode';

/**
 * Maps increasing document offsets inside a window of text to positions by walking the window once
 * (O(window length) in total), instead of one `document.positionAt` per offset.
 */
export class PositionMapper {
  private offset: number;
  private line: number;
  private character: number;

  constructor(
    private readonly text: string,
    private readonly textStart: number,
    start: vscode.Position,
  ) {
    this.offset = textStart;
    this.line = start.line;
    this.character = start.character;
  }

  /** Position of `offset`; offsets must not decrease between calls. Clamped to the window. */
  at(offset: number): vscode.Position {
    const end = this.textStart + this.text.length;
    const target = Math.min(Math.max(offset, this.textStart), end);
    while (this.offset < target) {
      const c = this.text.charCodeAt(this.offset - this.textStart);
      if (c === 10) {
        this.line++;
        this.character = 0;
      } else if (c === 13) {
        // \r\n is one line break; a lone \r is one too (VS Code treats all three as EOLs)
        if (this.text.charCodeAt(this.offset + 1 - this.textStart) !== 10) {
          this.line++;
          this.character = 0;
        } else {
          this.character++;
        }
      } else {
        this.character++;
      }
      this.offset++;
    }
    return new vscode.Position(this.line, this.character);
  }
}
