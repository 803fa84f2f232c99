import { expect } from 'chai';
import { titleOfTask } from '../../src/services/issues-service.js';
import { issueTitleSchema } from '../../src/contract/issues.js';

describe('titleOfTask (the title of an issue a spawn creates)', () => {
  it('takes the first non-blank line, trimmed, control characters as spaces', () => {
    expect(titleOfTask('\n \t\n  Fix the login  \nmore text')).to.equal('Fix the login');
    expect(titleOfTask('\u0007\nreal\u0001title')).to.equal('real title');
    expect(titleOfTask('   ')).to.equal('Task');
  });

  it('cuts a long line to 300 UTF-16 units with an ellipsis, never splitting a surrogate pair', () => {
    const ascii = titleOfTask('a'.repeat(500));
    expect(ascii).to.have.length(300);
    expect(ascii.endsWith('…')).to.equal(true);
    const emoji = titleOfTask('😀'.repeat(400));
    expect(emoji.length).to.be.at.most(300);
    expect(/[\ud800-\udbff]…$/.test(emoji)).to.equal(false);
    for (const t of [ascii, emoji, titleOfTask('x'.repeat(300))]) expect(issueTitleSchema.safeParse(t).success, t).to.equal(true);
  });
});
