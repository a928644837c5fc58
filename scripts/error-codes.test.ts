import fs from 'node:fs';
import path from 'node:path';
import { ERROR_CATALOG, type ErrorCode } from '../core/error-catalog';
import { fail } from '../core/errors';
import { errorCodesMarkdown } from './error-codes';

const BEGIN = '<!-- error-codes:begin (npm run error-codes) -->';
const END = '<!-- error-codes:end -->';

describe('error catalog', () => {
  it("matches the README's troubleshooting tables", () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    expect(readme.slice(start + BEGIN.length, end).trim()).toBe(errorCodesMarkdown().trim());
  });

  it('fills the template and takes the status from the table', () => {
    const err = fail('LR_HLS_TIMEOUT', { what: 'part 7' });
    expect(err).toMatchObject({ code: 'LR_HLS_TIMEOUT', status: 503, message: 'part 7 did not arrive in time', name: 'LiveroomError' });
    expect(fail('LR_HLS_GONE').status).toBe(404);
  });

  it('has a status and a help line for every code', () => {
    for (const [code, spec] of Object.entries(ERROR_CATALOG) as [ErrorCode, (typeof ERROR_CATALOG)[ErrorCode]][]) {
      expect(code).toMatch(/^LR_[A-Z]+(_[A-Z]+)*$/);
      expect(spec.status).toBeGreaterThanOrEqual(400);
      expect(spec.help.length).toBeGreaterThan(10);
    }
  });
});
