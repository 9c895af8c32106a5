/**
 * The generated sections of docs/*.md (src/tools/generated-docs.ts) cannot drift from what they are
 * generated from: each must be exactly what `npm run docs:generated` writes now.
 */
import { resolve } from "node:path";
import { generatedSections, markers, regeneratedPages, withSection } from "../../src/tools/generated-docs";

const ROOT = resolve(__dirname, "..", "..");

describe("the generated sections of the docs", () => {
  const pages = regeneratedPages(ROOT);

  it.each(pages.map((page) => [page.page, page] as const))("%s is what npm run docs:generated writes (run it if this fails)", (_, page) => {
    expect(page.current).toBe(page.generated);
  });

  it("refuses a page that has lost a section's markers", () => {
    const [section] = generatedSections();
    expect(() => withSection("no markers here", section)).toThrow(`${section.page} has no ${markers(section.name).begin}`);
  });
});
