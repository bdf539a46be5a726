import { describe, expect, it } from 'vitest';
import { renderMarkdown } from './markdown.ts';

describe('incident Markdown', () => {
  it('renders emphasis, lists, line breaks and safe links', () => {
    const html = renderMarkdown(
      'Messages to **Vodafone** are delayed.\nNext update at 12:30.\n\n- UK\n- IE\n\n[details](https://example.com/x)',
    );
    expect(html).toContain('<strong>Vodafone</strong>');
    expect(html).toContain('delayed.<br>');
    expect(html).toContain('<li>UK</li>');
    expect(html).toContain('<a href="https://example.com/x" rel="nofollow noopener noreferrer">details</a>');
  });

  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['[click](javascript:alert(1))', '[click](javascript:alert(1))'],
    ['[data](data:text/html;base64,PHNjcmlwdD4=)', '[data](data:text/html;base64,PHNjcmlwdD4=)'],
  ])('keeps %s inert', (source, shown) => {
    const html = renderMarkdown(source);
    expect(html).toContain(shown);
    expect(html).not.toMatch(/<script|<img|href="(javascript|data):/i);
  });

  it('shows an image as a link, never loads it (no third-party requests)', () => {
    const html = renderMarkdown('![tracker](https://evil.example/p.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain('href="https://evil.example/p.png"');
  });
});
