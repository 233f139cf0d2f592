/**
 * Reading a scenario file (`--scenario FILE`) with `node:fs`: JSON, validated like every scenario.
 */
import { readFileSync } from 'node:fs';
import { type EmulatorScenario, parseScenario, ScenarioError } from './scenario.js';

/**
 * The scenario in the JSON file at `path`.
 *
 * @example
 * ```ts
 * const running = await startEmulator({ port: 0, scenario: readScenarioFile('qa.json') });
 * ```
 * @throws {@link ScenarioError} when the file cannot be read, is not JSON, or is refused by the
 *   scenario schema; the message is one line naming the file.
 */
export function readScenarioFile(path: string): EmulatorScenario {
  const source = `scenario file ${path}`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new ScenarioError(`${source}: cannot be read (${typeof code === 'string' ? code : String(error)})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // JSON.parse's message quotes the text around the mistake, which may be a client secret or a
    // password: say only where it is.
    throw new ScenarioError(`${source}: not valid JSON (${jsonErrorPlace(text, error)})`);
  }
  return parseScenario(value, source);
}

/** Line and column of a JSON syntax error, from the position V8 reports, without quoting the text. */
function jsonErrorPlace(text: string, error: unknown): string {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  if (position === undefined) return 'syntax error';
  const before = text.slice(0, Number(position));
  const line = before.split('\n').length;
  const column = Number(position) - before.lastIndexOf('\n');
  return `syntax error at line ${line}, column ${column}`;
}
