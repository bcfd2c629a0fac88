import { join } from 'node:path';
import nunjucks from 'nunjucks';
import { TEMPLATE_FILTERS } from './filters';

/** A line holding only a `{# … #}` comment (possibly several lines long), with its line end. */
const COMMENT_LINE = /^[ \t]*\{#[\s\S]*?#\}[ \t]*\r?\n/gm;

/**
 * Loads templates from disk, dropping lines that hold only a template comment: nunjucks' trimBlocks
 * does not apply to comments, and a stray blank line breaks formats where lines carry meaning
 * (a preseed value continued with `\`, `#!ipxe` and `#cloud-config` on the first line).
 */
class CommentLineLoader extends nunjucks.FileSystemLoader {
  override getSource(name: string): nunjucks.LoaderSource {
    const source = super.getSource(name);
    return { ...source, src: source.src.replace(COMMENT_LINE, '') };
  }
}

/** Where the install templates and the snippet library live (shipped with this package). */
export const TEMPLATES_DIR = join(__dirname, 'templates');

/**
 * The one nunjucks environment for install templates: no autoescape (none of the formats is
 * HTML; each value goes through its format's quoting filter instead), `throwOnUndefined` so a
 * missing variable is an error rather than an empty string, and block tags that leave no blank
 * lines behind. Templates are compiled once and cached; build it once per process.
 *
 * Only the files under {@link TEMPLATES_DIR} are templates: users supply data (params), never
 * template text — nunjucks does not sandbox.
 */
export function createTemplateEnvironment(templatesDir: string = TEMPLATES_DIR): nunjucks.Environment {
  const loader = new CommentLineLoader(templatesDir, { noCache: false, watch: false });
  const environment = new nunjucks.Environment(loader, {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  for (const [name, filter] of Object.entries(TEMPLATE_FILTERS)) environment.addFilter(name, filter);
  return environment;
}
