import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layer table is written once, in the folder map of docs/design.md (between the `layers:` markers);
// this test reads it and the import graph of the product (src/ and functions/), so the doc and the code
// cannot drift apart.

const ROOT = resolve(import.meta.dirname, '../..');
const DESIGN = 'docs/design.md';
/** A folder of the harness (tools, tests, benches, scripts): may import anything, imported by nothing of the product. */
const HARNESS = Number.POSITIVE_INFINITY;

interface Row {
  layer: number;
  folder: string;
  mayImport: string;
}

function layerTable(): Row[] {
  const text = readFileSync(join(ROOT, DESIGN), 'utf8');
  const table = /<!-- layers:begin -->([\s\S]*?)<!-- layers:end -->/.exec(text)?.[1];
  if (!table) throw new Error(`${DESIGN} has no <!-- layers:begin --> … <!-- layers:end --> table`);
  const rows: Row[] = [];
  for (const line of table.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | layer | `folder` | owns | may import |
    const [, layer, folder, , mayImport] = cells;
    const path = /^`([^`]+)`$/.exec(folder ?? '')?.[1];
    if (!path || layer === undefined) continue;
    const n = /^\d+$/.test(layer) ? Number(layer) : /^[—-]$/.test(layer) ? HARNESS : Number.NaN;
    if (Number.isNaN(n)) throw new Error(`${DESIGN}: layer "${layer}" of ${path} is neither a number nor —`);
    rows.push({ layer: n, folder: path.replace(/\/$/, ''), mayImport: mayImport ?? '' });
  }
  return rows;
}

const rows = layerTable();
const layerOf = new Map(rows.map((r) => [r.folder, r.layer]));

/** The folder of the map a repository file belongs to: `src/soak`, `functions`, `tools/local`, `test`… */
function folderOf(file: string): string {
  const parts = file.split('/');
  if (parts.length > 2 && (parts[0] === 'src' || parts[0] === 'tools')) return `${parts[0]}/${parts[1]}`;
  return parts[0] ?? file;
}

function walk(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return walk(path);
    return /\.[mc]?ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  specifier: string;
}

/** Relative imports of one file: static `import`/`export … from`, side-effect imports, `import('…')`. */
function specifiersOf(source: string): string[] {
  // Comments out first, so a commented-out import is no edge; whole-line `//` only (a URL in a string stays).
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  for (const m of code.matchAll(/^[ \t]*(?:import|export)\b(?:[^'";]*?\bfrom\s*)?['"]([^'"]+)['"]/gm))
    found.push(m[1] as string);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] as string);
  return found.filter((s) => s.startsWith('.'));
}

/** `./x.js` → the file it names (`.ts` source for a `.js` specifier, `index.ts` for a folder), or undefined. */
function resolveImport(from: string, specifier: string): string | undefined {
  const base = resolve(ROOT, dirname(from), specifier);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  const hit = candidates.find((c) => existsSync(c) && statSync(c).isFile());
  return hit && relative(ROOT, hit);
}

const productFiles = [...walk('src'), ...walk('functions')];
const unresolved: string[] = [];
const edges: Edge[] = productFiles.flatMap((from) =>
  specifiersOf(readFileSync(join(ROOT, from), 'utf8')).flatMap((specifier) => {
    const to = resolveImport(from, specifier);
    if (!to) {
      unresolved.push(`${from}: '${specifier}'`);
      return [];
    }
    return [{ from, to, specifier }];
  }),
);

/** Strongly connected components with more than one node (Tarjan): the cycles of a graph. */
function cycles(nodes: Iterable<string>, next: (n: string) => string[]): string[][] {
  let index = 0;
  const stack: string[] = [];
  const onStack = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const found: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, idx.get(w) as number));
    }
    if (low.get(v) === idx.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const n of nodes) if (!idx.has(n)) visit(n);
  return found;
}

const describeLayer = (folder: string) => {
  const layer = layerOf.get(folder);
  return `${folder} (${layer === undefined ? 'not in the map' : layer === HARNESS ? 'harness' : `layer ${layer}`})`;
};

describe('the import graph of src/ and functions/', () => {
  it('reads every relative import to a file that exists', () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(unresolved).toEqual([]);
  });

  it(`has no import from a lower layer to a higher one (the folder map of ${DESIGN})`, () => {
    const upward = edges
      .filter((e) => {
        const from = layerOf.get(folderOf(e.from));
        const to = layerOf.get(folderOf(e.to));
        return from === undefined || to === undefined || to > from;
      })
      .map(
        (e) =>
          `${e.from} imports ${e.to}: ${describeLayer(folderOf(e.from))} → ${describeLayer(folderOf(e.to))}`,
      );

    expect(upward).toEqual([]);
  });

  it('never imports the harness (tools/, test/, bench/, scripts/) from the product', () => {
    const harness = edges
      .filter((e) => layerOf.get(folderOf(e.to)) === HARNESS || !/^(src|functions)\//.test(e.to))
      .map((e) => `${e.from} imports ${e.to}`);

    expect(harness).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const next = new Map<string, Set<string>>();
    for (const e of edges) {
      const [a, b] = [folderOf(e.from), folderOf(e.to)];
      if (a === b) continue;
      next.set(a, (next.get(a) ?? new Set()).add(b));
    }
    const found = cycles(next.keys(), (n) => [...(next.get(n) ?? [])]).map((component) => {
      const inside = new Set(component);
      const via = edges
        .filter((e) => folderOf(e.from) !== folderOf(e.to))
        .filter((e) => inside.has(folderOf(e.from)) && inside.has(folderOf(e.to)))
        .map((e) => `${e.from} → ${e.to}`);
      return `${component.join(' ↔ ')}: ${via.join(', ')}`;
    });

    expect(found).toEqual([]);
  });

  it('has no cycle between modules', () => {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);

    expect(cycles(productFiles, (n) => next.get(n) ?? []).map((c) => c.join(' ↔ '))).toEqual([]);
  });
});

describe(`the folder map of ${DESIGN}`, () => {
  it('lists every folder of the repository once, and only folders that exist', () => {
    const listed = rows.map((r) => r.folder);
    const duplicates = listed.filter((f, i) => listed.indexOf(f) !== i);
    const missingOnDisk = listed.filter((f) => !existsSync(join(ROOT, f)));
    // Tracked top-level folders; src/ and tools/ are mapped by their subfolders.
    const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
    const folders = new Set(
      tracked
        .filter((f) => f.includes('/'))
        .map((f) => (/^(src|tools)\//.test(f) ? folderOf(f) : f.split('/')[0])),
    );
    const unlisted = [...folders].filter((f) => f && !layerOf.has(f)).sort();
    const loose = tracked.filter((f) => /^(src|tools)\/[^/]+$/.test(f));

    expect({ duplicates, missingOnDisk, unlisted, loose }).toEqual({
      duplicates: [],
      missingOnDisk: [],
      unlisted: [],
      loose: [],
    });
  });

  it("has each of its folders named in the README's layout", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const layout = /## Layout[\s\S]*?```([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const named = new Set(layout.split(/\s+/).map((word) => word.replace(/\/$/, '')));

    expect(rows.map((r) => r.folder).filter((f) => !named.has(f))).toEqual([]);
  });

  it('names in "may import" only folders of the same or a lower layer', () => {
    const byName = new Map(rows.map((r) => [r.folder.replace(/^src\//, ''), r.layer]));
    const wrong = rows.flatMap((r) =>
      [...r.mayImport.matchAll(/`([^`]+)`/g)]
        .map((m) => (m[1] as string).replace(/^src\//, '').replace(/\/$/, ''))
        .filter((name) => byName.has(name) && (byName.get(name) as number) > r.layer)
        .map((name) => `${r.folder} (layer ${r.layer}) may import ${name} (layer ${byName.get(name)})`),
    );

    expect(wrong).toEqual([]);
  });

  it('gives every folder under src/ a header saying what it owns and what it may import', () => {
    const dirs = (dir: string): string[] =>
      readdirSync(join(ROOT, dir))
        .filter((name) => statSync(join(ROOT, dir, name)).isDirectory())
        .flatMap((name) => [`${dir}/${name}`, ...dirs(`${dir}/${name}`)]);
    const headerOf = (dir: string): string => {
      const readme = join(ROOT, dir, 'README.md');
      if (existsSync(readme)) return readFileSync(readme, 'utf8');
      const index = join(ROOT, dir, 'index.ts');
      if (!existsSync(index)) return '';
      // The comment the index opens with.
      return /^\s*((?:\/\/.*\n)+|\/\*[\s\S]*?\*\/)/.exec(readFileSync(index, 'utf8'))?.[1] ?? '';
    };
    const without = dirs('src').filter((dir) => {
      const header = headerOf(dir);
      return !/\bowns\b/i.test(header) || !/\bmay import\b/i.test(header);
    });

    expect(without).toEqual([]);
  });
});
