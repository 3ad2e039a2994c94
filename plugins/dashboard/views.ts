/**
 * The dashboard's templates: Eta files in the package's top-level `views/dashboard/` (a layout,
 * pages, partials), escaping everything they print unless a template says `<%~` (used only for
 * markup this plugin builds itself: charts, and the panels plugins contribute).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

/** `views/` beside package.json: two folders up from the source, three from `dist/`. */
export function viewsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'views', 'dashboard', 'layout.eta'))) return join(dir, 'views');
    dir = dirname(dir);
  }
  throw new Error('gateway:dashboard cannot find its templates (views/dashboard/) next to the package');
}

export type Render = (template: string, data: Record<string, unknown>) => Promise<string>;

export function createRenderer(): Render {
  const eta = new Eta({ views: viewsDir(), autoEscape: true, cache: true, autoTrim: [false, 'nl'] });
  return (template, data) => eta.renderAsync(`./dashboard/${template}`, data);
}

/** Escapes text for HTML built outside templates (the charts): the SDK's, which panels use too. */
export { escapeHtml } from 'llm-gateway/plugin';
