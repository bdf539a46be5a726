/**
 * Incident and maintenance text is Markdown, written by admins and shown to the public. Rendered with
 * markdown-it with raw HTML off (any tag in the text is escaped, so it shows as text), no images (the page
 * makes no third-party requests), and links limited to http(s) and mailto, opened without a referrer.
 */
import MarkdownIt from 'markdown-it';

const md = new MarkdownIt({ html: false, linkify: true, breaks: true }).disable(['image']);

const SAFE_LINK = /^(https?:|mailto:)/i;
md.validateLink = (url) => SAFE_LINK.test(url.trim());

md.renderer.rules.link_open = (tokens, idx, options, _env, self) => {
  tokens[idx]!.attrSet('rel', 'nofollow noopener noreferrer');
  return self.renderToken(tokens, idx, options);
};

/** Safe HTML for a Markdown text. */
export function renderMarkdown(source: string): string {
  return md.render(source);
}
