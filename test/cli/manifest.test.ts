import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMMANDS = path.join(ROOT, 'dist', 'src', 'commands');

async function commandFiles(dir: string, prefix: string[] = []): Promise<Array<{ id: string; file: string }>> {
  const out: Array<{ id: string; file: string }> = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...(await commandFiles(path.join(dir, entry.name), [...prefix, entry.name])));
    else if (entry.name.endsWith('.js')) out.push({ id: [...prefix, entry.name.slice(0, -3)].join(':'), file: path.join(dir, entry.name) });
  }
  return out;
}

describe('oclif.manifest.json', () => {
  // oclif lists commands from the manifest when it exists: a stale one silently hides commands.
  it('lists exactly the compiled commands with their flags and args', async () => {
    const manifest = JSON.parse(await readFile(path.join(ROOT, 'oclif.manifest.json'), 'utf8')) as {
      version: string;
      commands: Record<string, { flags: Record<string, unknown>; args: Record<string, unknown> }>;
    };
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(manifest.version).to.equal(pkg.version);
    const files = await commandFiles(COMMANDS);
    expect(Object.keys(manifest.commands).sort()).to.deep.equal(files.map((f) => f.id).sort());
    for (const { id, file } of files) {
      const cmd = (await import(pathToFileURL(file).href)).default as { flags?: object; baseFlags?: object; args?: object; enableJsonFlag?: boolean };
      // `--json` on every command but those that turn it off (the stdio MCP server: stdout is its protocol).
      const flags = Object.keys({ ...cmd.baseFlags, ...cmd.flags, ...(cmd.enableJsonFlag === false ? {} : { json: true }) }).sort();
      expect(Object.keys(manifest.commands[id]!.flags).sort(), `flags of ${id}`).to.deep.equal(flags);
      expect(Object.keys(manifest.commands[id]!.args).sort(), `args of ${id}`).to.deep.equal(Object.keys(cmd.args ?? {}).sort());
    }
  });
});
